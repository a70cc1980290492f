package io.lipwatch.estimator.network;

import io.lipwatch.estimator.linalg.LinearOperator;

/**
 * One node of an {@link ExtractedNetwork}: an {@link Op} applied to earlier nodes ({@code inputs} index the node list;
 * -1 is the network input). {@code name} is the DL4J layer or vertex it comes from (suffixed for its activation).
 */
public record Node(String name, String type, int[] inputs, Op op, int outDim) {

  public LinearOperator linear() {
    return op instanceof Op.Affine a ? a.linear() : null;
  }

  /**
   * The value feeding input j: the network input {@code x} for −1, else that node's entry of {@code values} (one rule
   * for the engine's double vectors and the probes' float batches).
   */
  public <T> T input(T[] values, T x, int j) {
    int k = inputs[j];
    return k < 0 ? x : values[k];
  }
}
