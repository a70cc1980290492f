package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.bounds.lipsdp.LipSdp;

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
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies the configured Lipschitz methods to a restored model and assembles the estimate record. Each method runs
 * under its own wall-time budget ({@link EngineConfig#methodBudget()}); a method that runs out reports what it has
 * with a note, and a sound method only stays {@code sound:true} when its value is still proven (AutoLip falls back to
 * the Hölder bound for the layers it did not reach).
 */
public final class LipschitzEngine {
  public static final String ENGINE = "lipwatch-engine/0.2";
  /** Random inputs used by the lower bounds when no probe inputs are given. */
  public static final int DEFAULT_PROBES = 8;
  /** Ascent steps per CLIP pair. */
  public static final int CLIP_STEPS = 30;

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
    return estimate(model, meta, warm, null, null);
  }

  /** With probe inputs (flattened, one per row, in the input's own units) for the lower bounds. */
  public Result estimate(RestoredModel model, SnapshotMetadata meta, WarmStart warm, double[][] probeInputs) {
    return estimate(model, meta, warm, probeInputs, null);
  }

  /** {@code inputShape} ([n] or [c, h, w]) is only needed for CNNs whose configuration does not reveal it. */
  public Result estimate(RestoredModel model, SnapshotMetadata meta, WarmStart warm, double[][] probeInputs, long[] inputShape) {
    long t0 = System.nanoTime();
    ExtractedNetwork net = NetworkExtractor.extract(model, inputShape);
    Computed c = compute(net, warm == null ? WarmStart.EMPTY : warm, probeInputs);
    Architecture arch = new Architecture(net.kind(), net.layers(), net.parameters(),
        Arrays.stream(net.inputShape()).boxed().toList(), net.outputDim());
    LipschitzBounds bounds = LipschitzBounds.of(c.upper, c.lower);
    List<String> warnings = new ArrayList<>(c.warnings);
    if (bounds.bestUpper() == null) {
      warnings.add("no sound upper bound was computed (methods: " + config.methods() + ")");
    }
    Provenance prov = new Provenance(meta.createdAt() == null ? null : meta.createdAt().toString(), meta.dataset(),
        meta.regularizer(), meta.lambda(), meta.epoch(), meta.trainAccuracy(), meta.runId(), ENGINE, null);
    Estimate e = new Estimate(meta.model(), meta.version(), meta.sha256(), Instant.now().toString(), arch, bounds, null,
        List.copyOf(warnings), (System.nanoTime() - t0) / 1e9, prov);
    return new Result(e, c.warm);
  }

  /** The bounds of an extracted network (no snapshot metadata): what tests and the benchmark call. */
  public Computed compute(ExtractedNetwork net, WarmStart warm, double[][] probeInputs) {
    List<UpperBound> upper = new ArrayList<>();
    List<LowerBound> lower = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    Map<String, double[]> vectors = new HashMap<>(warm.singularVectors());
    List<double[][]> pairs = new ArrayList<>();
    if (config.wants(AutoLip.METHOD)) {
      upper.add(AutoLip.sound(net, deadline()));
    }
    if (config.wants(AutoLip.POWER_METHOD)) {
      AutoLip.Result r = AutoLip.powerEstimate(net, config, warm, deadline());
      upper.add(r.bound());
      vectors.putAll(r.vectors());
    }
    if (config.wants(SeqLip.METHOD) || config.wants(SeqLip.GREEDY_METHOD)) {
      if (SeqLip.applies(net)) {
        UpperBound s = SeqLip.bound(net, config.wants(SeqLip.METHOD), deadline());
        if (s != null) {
          upper.add(s);
        }
      } else if (!config.methods().isEmpty()) {
        warnings.add("seqlip applies to chains of dense layers with element-wise activations only");
      }
    }
    if (config.wants(AutoLip.LIPBOUND_METHOD)) {
      UpperBound lb = AutoLip.lipBound(net, deadline());
      if (lb != null) {
        upper.add(lb);
      }
    }
    if (config.wants(AutoLip.GRAM_METHOD)) {
      upper.add(AutoLip.gram(net, deadline()));
    }
    // LipSDP solves an SDP with CSDP: give it ten method budgets (30 s by default); by default only on small MLPs
    java.time.Duration sdpBudget = config.methodBudget().multipliedBy(10);
    for (LipSdp.Mode mode : LipSdp.Mode.values()) {
      boolean explicit = config.methods().contains(mode.method());
      if (explicit || (config.methods().isEmpty() && mode == LipSdp.Mode.NEURON)) {
        UpperBound b = LipSdpMethod.bound(net, mode, sdpBudget, explicit, warnings);
        if (b != null) {
          upper.add(b);
        }
      }
    }
    double[][] inputs = probeInputs != null && probeInputs.length > 0 ? probeInputs
        : LowerBounds.randomInputs(DEFAULT_PROBES, net.inputDim(), config.seed());
    for (double[] x : inputs) {
      if (x.length != net.inputDim()) {
        throw new IllegalArgumentException("probe input of length " + x.length + ", network input is " + net.inputDim());
      }
    }
    List<double[][]> seeds = new ArrayList<>(warm.pairs());
    if (config.wants(LowerBounds.GRADIENT)) {
      LowerBounds.Result g = LowerBounds.gradientNorm(net, inputs, 50, config.seed(), deadline());
      lower.add(g.bound());
      seeds.addAll(g.pairs());
      pairs.addAll(g.pairs());
    }
    if (config.wants(LowerBounds.CLIP)) {
      LowerBounds.Result p = LowerBounds.clipPairs(net, inputs, seeds, CLIP_STEPS, config.seed() + 1, deadline());
      lower.add(p.bound());
      pairs.clear();
      pairs.addAll(p.pairs());
    }
    if (pairs.isEmpty()) {
      pairs.addAll(warm.pairs());
    }
    return new Computed(upper, lower, warnings, new WarmStart(vectors, pairs.stream().limit(LowerBounds.KEEP_PAIRS).toList()));
  }

  /** What {@link #compute} returns. */
  public record Computed(List<UpperBound> upper, List<LowerBound> lower, List<String> warnings, WarmStart warm) {
    public LipschitzBounds bounds() {
      return LipschitzBounds.of(upper, lower);
    }
  }

  private long deadline() {
    return System.nanoTime() + config.methodBudget().toNanos();
  }
}
