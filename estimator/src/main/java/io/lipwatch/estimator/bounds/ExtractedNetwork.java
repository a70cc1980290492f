package io.lipwatch.estimator.bounds;

import java.util.List;

/**
 * A network as a chain of {@link Stage}s from input to logits (a softmax at the output already dropped).
 *
 * @param kind       MultiLayerNetwork or ComputationGraph
 * @param stages     the chain
 * @param inputDim   flattened input size
 * @param outputDim  number of logits
 * @param layers     layers in the DL4J model
 * @param parameters parameters in the DL4J model
 */
public record ExtractedNetwork(String kind, List<Stage> stages, int inputDim, int outputDim, int layers, long parameters) {

  /** The stages that carry weights, in order. */
  public List<Stage> linearStages() {
    return stages.stream().filter(s -> s.linear() != null).toList();
  }
}
