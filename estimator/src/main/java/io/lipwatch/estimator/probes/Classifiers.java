package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.network.ExtractedNetwork;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/** Picks the probe path of a model: the fast dense path or DL4J for MultiLayerNetworks, the engine's network otherwise. */
public final class Classifiers {
  private Classifiers() {}

  /** A DL4J MultiLayerNetwork through DL4J itself (or the dense fast path); warnings are added to {@code warnings}. */
  public static Classifier dl4j(MultiLayerNetwork model, ProbeSet set, List<String> warnings) {
    return ProbeRunner.classifierFor((Model) model, set, true, warnings);
  }

  /** Any network the engine represents (ONNX models, ComputationGraphs): its own forward pass and input gradient. */
  public static Classifier network(ExtractedNetwork net) {
    // a dense ReLU chain (most ONNX MLPs) takes the same buffered GEMM path as a DL4J MultiLayerNetwork
    DenseClassifier dense = DenseClassifier.tryOf(net);
    return dense != null ? dense : new NetworkClassifier(net);
  }
}
