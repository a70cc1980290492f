package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.estimate.Architecture;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.LipschitzBounds;
import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.Provenance;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.snapshot.RestoredModel;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Applies the configured Lipschitz methods to a restored model and assembles the estimate record. */
public final class LipschitzEngine {
  public static final String ENGINE = "lipwatch-engine/0.1";

  private final EngineConfig config;

  public LipschitzEngine(EngineConfig config) {
    this.config = config;
  }

  public EngineConfig config() {
    return config;
  }

  /** The estimate of one snapshot and the warm start to keep for the next one. */
  public record Result(Estimate estimate, WarmStart warmStart) {}

  public Result estimate(RestoredModel model, SnapshotMetadata meta, WarmStart warm) {
    long t0 = System.nanoTime();
    ExtractedNetwork net = NetworkExtractor.extract(model);
    List<UpperBound> upper = new ArrayList<>();
    List<LowerBound> lower = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    Map<String, double[]> vectors = new HashMap<>(warm.singularVectors());
    if (config.wants(AutoLip.METHOD)) {
      upper.add(AutoLip.sound(net));
    }
    if (config.wants(AutoLip.POWER_METHOD)) {
      AutoLip.Result r = AutoLip.powerEstimate(net, config, warm);
      upper.add(r.bound());
      vectors.putAll(r.vectors());
    }
    Architecture arch = new Architecture(net.kind(), net.layers(), net.parameters(), List.of((long) net.inputDim()), net.outputDim());
    LipschitzBounds bounds = LipschitzBounds.of(upper, lower);
    if (bounds.bestUpper() == null) {
      warnings.add("no sound upper bound was computed (methods: " + config.methods() + ")");
    }
    Provenance prov = new Provenance(meta.createdAt() == null ? null : meta.createdAt().toString(), meta.dataset(),
        meta.regularizer(), meta.lambda(), meta.epoch(), meta.trainAccuracy(), meta.runId(), ENGINE, null);
    Estimate e = new Estimate(meta.model(), meta.version(), meta.sha256(), Instant.now().toString(), arch, bounds, null,
        List.copyOf(warnings), (System.nanoTime() - t0) / 1e9, prov);
    return new Result(e, new WarmStart(vectors, warm.pairs()));
  }
}
