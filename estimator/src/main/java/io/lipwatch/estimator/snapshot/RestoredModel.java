package io.lipwatch.estimator.snapshot;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/** A model restored from a verified snapshot zip. Exactly one of {@code mln} and {@code graph} is set. */
public record RestoredModel(ModelKind kind, MultiLayerNetwork mln, ComputationGraph graph, long parameters) {

  public static RestoredModel of(MultiLayerNetwork net) {
    return new RestoredModel(ModelKind.MultiLayerNetwork, net, null, net.numParams());
  }

  public static RestoredModel of(ComputationGraph graph) {
    return new RestoredModel(ModelKind.ComputationGraph, null, graph, graph.numParams());
  }

  public Model model() {
    return mln != null ? mln : graph;
  }
}
