package io.lipwatch.estimator.pipeline;

import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.UnsupportedLayerException;
import io.lipwatch.estimator.bounds.BoundMethod;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.estimate.Architecture;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.LipschitzBounds;
import io.lipwatch.estimator.estimate.Provenance;
import io.lipwatch.estimator.probes.ProbeConfig;
import io.lipwatch.estimator.probes.ProbeResult;
import io.lipwatch.estimator.probes.ProbeRunner;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.snapshot.ClaimCheck;
import io.lipwatch.estimator.snapshot.RejectReason;
import io.lipwatch.estimator.format.dl4j.Dl4jFormat;
import io.lipwatch.estimator.format.dl4j.InputShapeInference;
import io.lipwatch.estimator.format.LoadedModel;
import io.lipwatch.estimator.format.ModelFormats;
import io.lipwatch.estimator.probes.Classifier;
import io.lipwatch.estimator.snapshot.RestoredModel;
import io.lipwatch.estimator.snapshot.SnapshotHeaders;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.snapshot.SnapshotRejectedException;
import io.lipwatch.estimator.snapshot.SnapshotSignature;
import io.lipwatch.estimator.snapshot.SnapshotStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Turns one snapshot into its {@link Estimate}: resolve (inline or claim check), verify (size, sha256, optional HMAC),
 * restore safely, bound (the engine), probe, then check the record (every number finite, bestLower ≤ bestUpper).
 * Warnings are values carried in the estimate; only a snapshot that cannot be estimated at all throws
 * {@link SnapshotRejectedException}.
 */
public final class EstimatePipeline {
  /** bestLower may exceed bestUpper by this relative rounding error before the estimate is inconsistent. */
  static final double CONSISTENCY_TOLERANCE = 1e-9;

  private final SnapshotLimits limits;
  private final SnapshotSignature signature;
  private final SnapshotStore store;
  private final LipschitzEngine engine;
  private final ProbeConfig probes;
  /** Run the engine beside the probes (false: one after the other, for comparisons). */
  private final boolean overlap;

  /**
   * @param signature HMAC verifier, null when signatures are not enforced
   * @param store     claim-check store, null when claim checks are refused
   * @param probes    probe settings, null for bounds only
   */
  public EstimatePipeline(SnapshotLimits limits, SnapshotSignature signature, SnapshotStore store, LipschitzEngine engine,
      ProbeConfig probes) {
    this(limits, signature, store, engine, probes, true);
  }

  private EstimatePipeline(SnapshotLimits limits, SnapshotSignature signature, SnapshotStore store,
      LipschitzEngine engine, ProbeConfig probes, boolean overlap) {
    this.limits = limits;
    this.signature = signature;
    this.store = store;
    this.engine = engine;
    this.probes = probes;
    this.overlap = overlap;
  }

  /** The same pipeline computing the bounds before the probes (the same estimate, later; for comparisons). */
  public EstimatePipeline sequential() {
    return new EstimatePipeline(limits, signature, store, engine, probes, false);
  }

  /** For models already in hand (offline estimate, reproduce tables): default limits, no store, no signature. */
  public EstimatePipeline(LipschitzEngine engine, ProbeConfig probes) {
    this(SnapshotLimits.defaults(), null, null, engine, probes);
  }

  /** The estimate and the warm start to keep for the model's next snapshot. */
  public record Result(Estimate estimate, WarmStart warmStart) {}

  /**
   * A snapshot record as it arrives: headers already parsed into {@code meta}, the raw value, the model's warm start,
   * its probe set (null: bounds only) and notes to carry as warnings (e.g. why there is no probe set).
   */
  public Result run(SnapshotMetadata meta, Map<String, String> headers, byte[] value, WarmStart warm, ProbeSet probeSet,
      List<String> notes) {
    byte[] zip = resolve(meta, value);
    if (signature != null) {
      signature.verify(zip, headers.get(SnapshotHeaders.SIGNATURE));
    }
    // the format header picks the reader (dl4j when absent); an unknown format is a bad header
    long[] inputShape;
    try {
      inputShape = io.lipwatch.estimator.format.dl4j.NetworkExtractor.parseInputShape(headers.get(SnapshotHeaders.INPUT_SHAPE));
    } catch (IllegalArgumentException e) {
      throw new SnapshotRejectedException(RejectReason.BAD_HEADERS, SnapshotHeaders.INPUT_SHAPE + ": " + e.getMessage());
    }
    LoadedModel model = representable(() -> ModelFormats.of(meta.format()).read(zip, meta.sha256(), limits));
    if (inputShape == null) {
      inputShape = shapeHint(model, probeSet);
    }
    if (inputShape != null && model.dl4j() != null) {
      model = Dl4jFormat.of(model.dl4j(), inputShape);
    }
    return run(model, meta, warm, probeSet, notes);
  }

  /** A DL4J model already restored. */
  public Result run(RestoredModel model, SnapshotMetadata meta, WarmStart warm, ProbeSet probeSet, List<String> notes) {
    return run(Dl4jFormat.of(model), meta, warm, probeSet, notes);
  }

  /** A model already read, in any format. */
  public Result run(LoadedModel model, SnapshotMetadata meta, WarmStart warm, ProbeSet probeSet, List<String> notes) {
    long t0 = System.nanoTime();
    List<String> warnings = new ArrayList<>(notes == null ? List.of() : notes);
    WarmStart start = warm == null ? WarmStart.EMPTY : warm;
    ExtractedNetwork net = representable(model::network);
    ProbeSet set = probeSet;
    double[][] inputs = lowerBoundInputs(set);
    LipschitzEngine.Computed bounds;
    Probed probed = null;
    if (set != null && probes != null && overlap && fits(inputs, net)) {
      // the probes need the bounds only in their certificate phases: the engine runs beside them (two cores), and the
      // certificate phases wait for its sound bound. It starts with the fast sound methods: their bound is the early one,
      // ready long before the slow methods end (the certificate phases run again if the engine's best sound bound turns
      // out smaller), and the engine then takes their outcomes instead of computing them twice
      LipschitzEngine fast = fastSound();
      CompletableFuture<Double> early = fast == null ? null : new CompletableFuture<>();
      CompletableFuture<LipschitzEngine.Computed> pending =
          CompletableFuture.supplyAsync(() -> engine.compute(net, start, inputs, earlyFirst(fast, net, start, inputs, early)),
              BOUNDS_THREADS);
      probed = probe(model, net, set, early == null ? null : early::join, () -> join(pending).bounds().bestUpper());
      bounds = join(pending);
    } else {
      try {
        bounds = engine.compute(net, start, inputs);
      } catch (LipschitzEngine.InputMismatchException e) {
        warnings.add("probe set '" + set.name() + "' does not fit the network (" + e.getMessage() + "); probes skipped");
        set = null;
        bounds = engine.compute(net, start, null);
      }
    }
    warnings.addAll(bounds.warnings());
    LipschitzBounds lipschitz = bounds.bounds();
    if (lipschitz.bestUpper() == null) {
      warnings.add("no sound upper bound was computed (methods: " + engine.config().methods() + ")");
    }
    Estimate e = new Estimate(meta.model(), meta.version(), meta.sha256(), Instant.now().toString(), architecture(net),
        lipschitz, null, List.of(), 0, provenance(meta));
    if (set != null && probes != null) {
      Double best = lipschitz.bestUpper();
      probed = probed != null ? probed : probe(model, net, set, null, () -> best);
      warnings.addAll(probed.warnings());
      e = probed.probes() == null ? e : e.withProbes(probed.probes());
    }
    e = e.withWarnings(warnings).withSeconds((System.nanoTime() - t0) / 1e9);
    return new Result(EstimateChecks.check(e), bounds.warm());
  }

  /** Runs a reader; a layer the engine cannot represent rejects the snapshot as {@code unsupported-layer}. */
  private static <T> T representable(java.util.function.Supplier<T> reader) {
    try {
      return reader.get();
    } catch (UnsupportedLayerException e) {
      throw new SnapshotRejectedException(RejectReason.UNSUPPORTED_LAYER, e.getMessage(), e);
    }
  }

  /** The probes block (null when the probes failed) and the warnings it brings. */
  private record Probed(io.lipwatch.estimator.estimate.Probes probes, List<String> warnings) {}

  /**
   * Probes the model. {@code early} non-null: the bound is still being computed, {@code early} gives a sound bound
   * sooner (see ProbeRunner); null: {@code bound} is known.
   */
  private Probed probe(LoadedModel model, ExtractedNetwork net, ProbeSet set, Supplier<Double> early,
      Supplier<Double> bound) {
    List<String> warnings = new ArrayList<>();
    try {
      List<String> pathNotes = new ArrayList<>();
      Classifier c = model.classifier(set, pathNotes);
      // the engine's network: pairwise and local certificates run on it
      ProbeResult pr = early != null ? ProbeRunner.run(c, set, probes, early, bound, net)
          : ProbeRunner.run(c, set, probes, bound.get(), net);
      warnings.addAll(pathNotes);
      warnings.addAll(pr.warnings());
      return new Probed(pr.probes(), warnings);
    } catch (OutOfMemoryError oom) {
      throw oom;
    } catch (Throwable ex) {
      // a failure of the engine reaches here through the bound too: the caller's join rethrows it
      warnings.add("probes failed (" + ex.getClass().getSimpleName() + ": " + ex.getMessage() + ")");
      return new Probed(null, warnings);
    }
  }

  /** Sound methods that take milliseconds to a second (closed forms, no search): the early bound. */
  private static final Set<String> FAST_SOUND = Set.of("autolip", "gram", "eclipse-fast", "lipbound");

  /** The engine restricted to the fast sound methods it would run, or null when it runs none. */
  private LipschitzEngine fastSound() {
    Set<String> names = new java.util.HashSet<>();
    for (BoundMethod m : engine.methods().all()) {
      if (m.kind() == BoundMethod.Kind.SOUND_UPPER && m.selectedBy(engine.config()) && FAST_SOUND.contains(m.name())) {
        names.add(m.name());
      }
    }
    return names.isEmpty() ? null : new LipschitzEngine(engine.config().withMethods(names), engine.methods());
  }

  /**
   * Runs the fast sound methods ({@code fast}, null: none), completes {@code early} with their best bound and returns
   * their outcomes for the engine to take. A failure completes {@code early} exceptionally (the certificates then wait
   * for the engine's bound) and the engine computes those methods itself; the JVM's own errors (out of memory) pass.
   */
  private static Map<String, io.lipwatch.estimator.bounds.MethodOutcome> earlyFirst(LipschitzEngine fast,
      ExtractedNetwork net, WarmStart start, double[][] inputs, CompletableFuture<Double> early) {
    if (fast == null) {
      return Map.of();
    }
    try {
      LipschitzEngine.Computed c = fast.compute(net, start, inputs);
      early.complete(c.bounds().bestUpper());
      return c.outcomes();
    } catch (Throwable t) {
      early.completeExceptionally(t);
      if (t instanceof VirtualMachineError vm) {
        throw vm;
      }
      return Map.of();
    }
  }

  /** Daemon threads for the engine while the probes run; one per estimate in flight. */
  private static final ExecutorService BOUNDS_THREADS = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "lipwatch-bounds");
    t.setDaemon(true);
    return t;
  });

  /** The engine's result; what it threw is rethrown as itself (an Error stays an Error, e.g. out of memory). */
  private static LipschitzEngine.Computed join(CompletableFuture<LipschitzEngine.Computed> f) {
    try {
      return f.join();
    } catch (CompletionException ex) {
      Throwable cause = ex.getCause() == null ? ex : ex.getCause();
      if (cause instanceof Error err) {
        throw err;
      }
      throw cause instanceof RuntimeException re ? re : new IllegalStateException(cause);
    }
  }

  /** Whether the engine takes these probe inputs (else it is run without them, and the probes are skipped). */
  private static boolean fits(double[][] inputs, ExtractedNetwork net) {
    return inputs == null || Arrays.stream(inputs).allMatch(x -> x.length == net.inputDim());
  }

  /**
   * A DL4J CNN whose configuration leaves the input shape open (no lipwatch.input-shape header either) takes its probe
   * set's [c,h,w] (or [1,h,w]); null otherwise.
   */
  private static long[] shapeHint(LoadedModel model, ProbeSet set) {
    if (set == null || model.dl4j() == null) {
      return null;
    }
    var mln = model.dl4j().mln();
    var graph = model.dl4j().graph();
    boolean needed = mln != null
        ? InputShapeInference.needsShape(mln) && InputShapeInference.fromConfiguration(mln) == null
        : graph != null && InputShapeInference.needsShape(graph);
    if (!needed) {
      return null;
    }
    List<Integer> s = set.shape();
    if (s.size() == 3) {
      return new long[] {s.get(0), s.get(1), s.get(2)};
    }
    return s.size() == 2 ? new long[] {1, s.get(0), s.get(1)} : null;
  }

  /** Real data points make better starting points for the lower bounds than random inputs. */
  private static double[][] lowerBoundInputs(ProbeSet set) {
    if (set == null) {
      return null;
    }
    int k = Math.min(LipschitzEngine.DEFAULT_PROBES, set.count());
    double[][] inputs = new double[k][];
    for (int i = 0; i < k; i++) {
      inputs[i] = set.input(i);
    }
    return inputs;
  }

  private static Architecture architecture(ExtractedNetwork net) {
    return new Architecture(net.kind(), net.layers(), net.parameters(), Arrays.stream(net.inputShape()).boxed().toList(),
        net.outputDim());
  }

  private static Provenance provenance(SnapshotMetadata meta) {
    return new Provenance(meta.createdAt() == null ? null : meta.createdAt().toString(), meta.dataset(), meta.regularizer(),
        meta.lambda(), meta.epoch(), meta.trainAccuracy(), meta.runId(), LipschitzEngine.ENGINE, null);
  }

  private byte[] resolve(SnapshotMetadata meta, byte[] value) {
    if (!meta.claimCheck()) {
      if (value != null && value.length > limits.maxRecordBytes()) {
        throw new SnapshotRejectedException(RejectReason.TOO_LARGE, "record value is " + value.length + " bytes");
      }
      return value;
    }
    ClaimCheck cc = ClaimCheck.parse(value);
    if (store == null) {
      throw new SnapshotRejectedException(RejectReason.CLAIM_CHECK,
          "snapshot is a claim check but this estimator has no snapshot store configured (--snapshot-store)");
    }
    if (!meta.sha256().equalsIgnoreCase(cc.sha256())) {
      throw new SnapshotRejectedException(RejectReason.SHA256_MISMATCH, "claim check sha256 differs from header lipwatch.sha256");
    }
    return store.get(cc, limits.maxRecordBytes());
  }
}
