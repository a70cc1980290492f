package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.network.ExtractedNetwork;

import io.lipwatch.estimator.estimate.LipschitzBounds;
import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.UpperBound;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies the registered Lipschitz methods ({@link BoundMethods}) that the configuration selects to an extracted
 * network, and returns the bounds (the estimate record is assembled by the pipeline). Each method runs
 * under its own wall-time budget ({@link EngineConfig#budgetOf}); a method that runs out reports what it has
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
  private final BoundMethods methods;
  private final boolean fuse;

  public LipschitzEngine(EngineConfig config) {
    this(config, BoundMethods.standard());
  }

  public LipschitzEngine(EngineConfig config, BoundMethods methods) {
    this(config, methods, true);
  }

  private LipschitzEngine(EngineConfig config, BoundMethods methods, boolean fuse) {
    this.config = config;
    this.methods = methods;
    this.fuse = fuse;
  }

  /** This engine without {@link AffineFusion} (tests of the per-layer rules themselves). */
  public LipschitzEngine withoutFusion() {
    return new LipschitzEngine(config, methods, false);
  }

  public BoundMethods methods() {
    return methods;
  }

  public EngineConfig config() {
    return config;
  }

  /** The bounds of an extracted network (no snapshot metadata): what tests and the benchmark call. */
  public Computed compute(ExtractedNetwork net, WarmStart warm, double[][] probeInputs) {
    return compute(net, warm, probeInputs, Map.of());
  }

  /**
   * As above, taking the outcome of a method from {@code done} (by method name; e.g. {@link Computed#outcomes()} of an
   * engine restricted to the fast sound methods, run first for an early bound) instead of computing it again: the same
   * result, in the registry's order, as computing it here — for methods whose outcome depends only on the network, the
   * warm start and the budget.
   */
  public Computed compute(ExtractedNetwork net, WarmStart warm, double[][] probeInputs, Map<String, MethodOutcome> done) {
    double[][] inputs = probeInputs != null && probeInputs.length > 0 ? probeInputs
        : LowerBounds.randomInputs(DEFAULT_PROBES, net.inputDim(), config.seed());
    for (double[] x : inputs) {
      if (x.length != net.inputDim()) {
        throw new InputMismatchException("probe input of length " + x.length + ", network input is " + net.inputDim());
      }
    }
    List<UpperBound> upper = new ArrayList<>();
    List<LowerBound> lower = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    Map<String, MethodOutcome> outcomes = new java.util.LinkedHashMap<>();
    Map<String, double[]> vectors = new HashMap<>(warm.singularVectors());
    List<double[][]> seeds = new ArrayList<>(warm.pairs());
    List<double[][]> pairs = new ArrayList<>();
    // upper bounds see consecutive affine maps composed; lower bounds keep the stored network (their pairs are real)
    AffineFusion.Fused fused = fuse ? AffineFusion.fuse(net) : new AffineFusion.Fused(net, 0, 0);
    for (BoundMethod m : methods.all()) {
      if (!m.selectedBy(config)) {
        continue;
      }
      boolean explicit = m.explicitlyIn(config);
      ExtractedNetwork target = m.kind() == BoundMethod.Kind.LOWER ? net : fused.net();
      String why = m.inapplicable(target);
      if (why != null) {
        if (explicit) {
          warnings.add(why);
        }
        continue;
      }
      MethodOutcome o = done.containsKey(m.name()) ? done.get(m.name())
          : run(m, new MethodContext(target, config, warm, inputs, List.copyOf(seeds), deadline(m), explicit));
      outcomes.put(m.name(), o);
      warnings.addAll(o.warnings());
      if (o.upper() != null) {
        upper.add(m.kind() == BoundMethod.Kind.LOWER ? o.upper() : fused.inflate(o.upper()));
      }
      if (o.lower() != null) {
        lower.add(o.lower());
      }
      vectors.putAll(o.vectors());
      if (!o.pairs().isEmpty()) {
        // the last lower-bound method's pairs are the best ones to start the next snapshot from
        seeds.addAll(o.pairs());
        pairs.clear();
        pairs.addAll(o.pairs());
      }
    }
    if (pairs.isEmpty()) {
      pairs.addAll(warm.pairs());
    }
    return new Computed(upper, lower, warnings, new WarmStart(vectors, pairs.stream().limit(LowerBounds.KEEP_PAIRS).toList()),
        outcomes);
  }

  /**
   * Runs one method in isolation: whatever it throws (native code throws {@code Error}s, e.g. ND4J's BlasException)
   * and whatever non-finite or negative value it returns becomes a warning naming it, never a bound. Running out of
   * memory is not isolated: the snapshot as a whole is too large.
   */
  static MethodOutcome run(BoundMethod m, MethodContext ctx) {
    MethodOutcome o;
    try {
      o = m.compute(ctx);
    } catch (OutOfMemoryError e) {
      throw e;
    } catch (Throwable e) {
      return MethodOutcome.skipped(List.of(m.name() + " failed (" + e.getClass().getSimpleName() + ": " + e.getMessage() + "); not reported"));
    }
    if (o == null) {
      return MethodOutcome.skipped(List.of());
    }
    List<String> warnings = new ArrayList<>(o.warnings());
    UpperBound up = o.upper();
    if (up != null && !(Double.isFinite(up.value()) && up.value() >= 0)) {
      warnings.add(up.method() + " produced " + up.value() + ", not a finite non-negative number; not a bound");
      up = null;
    }
    LowerBound lo = o.lower();
    if (lo != null && !(Double.isFinite(lo.value()) && lo.value() >= 0)) {
      warnings.add(lo.method() + " produced " + lo.value() + ", not a finite non-negative number; not a bound");
      lo = null;
    }
    return new MethodOutcome(up, lo, o.vectors(), lo == null ? List.of() : o.pairs(), warnings);
  }

  /** Probe inputs whose length is not the network's input size: the caller estimates without them. */
  public static final class InputMismatchException extends IllegalArgumentException {
    public InputMismatchException(String message) {
      super(message);
    }
  }

  /**
   * What {@link #compute} returns; {@code outcomes}: each method's outcome as run (isolated, before the fusion's
   * inflation), by method name, for {@link #compute(ExtractedNetwork, WarmStart, double[][], Map)}.
   */
  public record Computed(List<UpperBound> upper, List<LowerBound> lower, List<String> warnings, WarmStart warm,
      Map<String, MethodOutcome> outcomes) {
    public LipschitzBounds bounds() {
      return LipschitzBounds.of(upper, lower);
    }
  }

  private long deadline(BoundMethod m) {
    return System.nanoTime() + config.budgetOf(m.name()).toNanos();
  }
}
