package io.lipwatch.estimator.format.dl4j;

import io.lipwatch.estimator.format.LoadedModel;
import io.lipwatch.estimator.format.ModelFormat;

import io.lipwatch.estimator.network.BinaryLogits;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.probes.Classifier;
import io.lipwatch.estimator.probes.Classifiers;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.snapshot.RestoredModel;
import io.lipwatch.estimator.snapshot.SafeModelRestorer;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import java.util.List;

/** DL4J ModelSerializer zips (the default format), restored by {@link SafeModelRestorer}. */
public final class Dl4jFormat implements ModelFormat {
  public static final String NAME = "dl4j";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<String> extensions() {
    return List.of(".zip");
  }

  @Override
  public LoadedModel read(byte[] bytes, String expectedSha256, SnapshotLimits limits) {
    SafeModelRestorer r = new SafeModelRestorer(limits);
    return of(expectedSha256 == null ? r.restore(bytes) : r.restore(bytes, expectedSha256));
  }

  /** A DL4J model already in hand. */
  public static LoadedModel of(RestoredModel model) {
    return new Dl4jModel(model, null);
  }

  /** With the input shape ([c,h,w] or [n]) for a network whose configuration does not determine it. */
  public static LoadedModel of(RestoredModel model, long[] inputShape) {
    return new Dl4jModel(model, inputShape);
  }

  /**
   * MultiLayerNetworks are probed through DL4J (or the dense fast path); ComputationGraphs through the engine's network,
   * since DL4J has no input gradient for graphs and attacks would otherwise be skipped.
   */
  private static final class Dl4jModel implements LoadedModel {
    private final RestoredModel model;
    private final long[] inputShape;
    private ExtractedNetwork net;

    Dl4jModel(RestoredModel model, long[] inputShape) {
      this.model = model;
      this.inputShape = inputShape;
    }

    @Override
    public String format() {
      return NAME;
    }

    @Override
    public synchronized ExtractedNetwork network() {
      if (net == null) {
        net = BinaryLogits.asTwoClass(NetworkExtractor.extract(model, inputShape));
      }
      return net;
    }

    @Override
    public Classifier classifier(ProbeSet set, List<String> warnings) {
      // a single-output (binary) network is probed as two logits (0, z) through the engine's own network
      if (model.mln() != null && model.mln().layerSize(model.mln().getnLayers() - 1) > 1) {
        return Classifiers.dl4j(model.mln(), set, warnings);
      }
      return Classifiers.network(network());
    }

    @Override
    public RestoredModel dl4j() {
      return model;
    }
  }
}
