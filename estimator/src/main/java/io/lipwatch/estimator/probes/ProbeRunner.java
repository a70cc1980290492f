package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.probes.Attacks.Batch;
import io.lipwatch.estimator.probes.Attacks.Deadline;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs the probe suite of {@link ProbeConfig} on a model and a probe set. Pure library code: no Kafka, no I/O.
 *
 * <p>The run is a list of {@link ProbePhase}s ({@link ProbePhases}), cheapest first, so a tight time budget still yields
 * the basic figures: clean accuracy and margins, noise, certified accuracy, the attacks ({@link Attack}) in the configured
 * order, then the minimal-perturbation search.
 */
public final class ProbeRunner {
  private ProbeRunner() {}

  /**
   * @param model               a MultiLayerNetwork or a ComputationGraph with one input and one output
   * @param set                 labelled probe inputs in the model's input units
   * @param cfg                 what to measure
   * @param bestSoundUpperBound the smallest SOUND L2 Lipschitz upper bound of the logit map, or null (no certified
   *                            accuracy then, and a warning)
   */
  public static ProbeResult run(Model model, ProbeSet set, ProbeConfig cfg, Double bestSoundUpperBound) {
    return run(model, set, cfg, bestSoundUpperBound, true, null);
  }

  /** As above; {@code fastPath=false} forces the DL4J gradient path, {@code obs} sees every attack iterate (tests). */
  static ProbeResult run(Model model, ProbeSet set, ProbeConfig cfg, Double bestSoundUpperBound, boolean fastPath,
      Attacks.Observer obs) {
    List<String> warnings = new ArrayList<>();
    Classifier c = classifierFor(model, set.head(cfg.samples()), fastPath, warnings);
    return run(c, set, cfg, bestSoundUpperBound, warnings, obs);
  }

  /** Probes through any {@link Classifier}, e.g. {@link NetworkClassifier} for ONNX models and ComputationGraphs. */
  public static ProbeResult run(Classifier c, ProbeSet set, ProbeConfig cfg, Double bestSoundUpperBound) {
    return run(c, set, cfg, bestSoundUpperBound, new ArrayList<>(), null);
  }

  /** As above, with the engine's network: pairwise and local certificates run on it (null: global ones only). */
  public static ProbeResult run(Classifier c, ProbeSet set, ProbeConfig cfg, Double bestSoundUpperBound,
      ExtractedNetwork net) {
    return run(c, set, cfg, bestSoundUpperBound, net, new ArrayList<>(), null);
  }

  static ProbeResult run(Classifier c, ProbeSet set, ProbeConfig cfg, Double bestSoundUpperBound, List<String> warnings,
      Attacks.Observer obs) {
    return run(c, set, cfg, bestSoundUpperBound, null, warnings, obs);
  }

  static ProbeResult run(Classifier c, ProbeSet set, ProbeConfig cfg, Double bestSoundUpperBound, ExtractedNetwork net,
      List<String> warnings, Attacks.Observer obs) {
    return run(c, set, cfg, bestSoundUpperBound, net, warnings, obs, ProbePhases.DEFAULT);
  }

  /** As above with these phases (tests compare variants of a phase). */
  static ProbeResult run(Classifier c, ProbeSet set, ProbeConfig cfg, Double bestSoundUpperBound, ExtractedNetwork net,
      List<String> warnings, Attacks.Observer obs, List<ProbePhase> phases) {
    return run(c, set, cfg, () -> bestSoundUpperBound, false, net, warnings, obs, phases);
  }

  /**
   * As {@link #run(Classifier, ProbeSet, ProbeConfig, Double, ExtractedNetwork)} while the sound bound is still being
   * computed (the engine on another thread): once the clean and noise phases have run, the certificate phases start on
   * their own thread with {@code early} (a sound bound from the engine's fast methods, ready sooner; null or failing:
   * wait for {@code bound}) while this thread runs the attacks and the minimal-perturbation search; the certificate
   * check waits for both, and the certificate phases run again with {@code bound} (the engine's best sound bound) when
   * that differs. The figures are those of the sequential run with {@code bound}: no phase reads what a phase run after
   * it produces, and the warnings keep the phases' order.
   */
  public static ProbeResult run(Classifier c, ProbeSet set, ProbeConfig cfg, Supplier<Double> early,
      Supplier<Double> bound, ExtractedNetwork net) {
    return run(c, set, cfg, new Bounds(early, bound), true, net, new ArrayList<>(), null, ProbePhases.DEFAULT);
  }

  /** An early sound bound and the final one (see above). */
  private record Bounds(Supplier<Double> early, Supplier<Double> fin) implements Supplier<Double> {
    @Override
    public Double get() {
      return fin.get();
    }

    /**
     * The early bound, or the final one when there is none or computing it failed — by any throwable ND4J raises
     * (its native failures are Errors, e.g. BlasException); only the JVM's own (out of memory) pass through.
     */
    Double earlyOrFinal() {
      Double e;
      try {
        e = early == null ? null : early.get();
      } catch (VirtualMachineError vm) {
        throw vm;
      } catch (Throwable ex) {
        e = null;
      }
      return e != null ? e : fin.get();
    }
  }

  /** The phases that read the sound bound, or what such a phase produced (the certified samples). */
  private static final Set<Class<?>> NEED_BOUND = Set.of(CertifiedAccuracyPhase.class,
      PairwiseLocalCertifiedPhase.class, CertificateCheckPhase.class);
  /**
   * The certificate phases: they read the sound bound and, of the figures, only the clean phase's (which samples are
   * correct, their margins); while the bound is pending they run on their own thread beside the attacks.
   */
  private static final Set<Class<?>> BESIDE = Set.of(CertifiedAccuracyPhase.class, PairwiseLocalCertifiedPhase.class);

  /** Daemon threads for the certificate phases while the attacks run; one per probe run in flight. */
  private static final ExecutorService CERTIFY_THREADS = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "lipwatch-certify");
    t.setDaemon(true);
    return t;
  });

  static ProbeResult run(Classifier c, ProbeSet set, ProbeConfig cfg, Supplier<Double> bound, boolean boundPending,
      ExtractedNetwork net, List<String> warnings, Attacks.Observer obs, List<ProbePhase> phases) {
    long t0 = System.nanoTime();
    ProbeSet s = set.head(cfg.samples());
    if (s.count() == 0) {
      throw new IllegalArgumentException("probe set " + set.name() + " is empty");
    }
    // dropout in DL4J's gradient path draws from ND4J's global generator
    Nd4j.getRandom().setSeed(cfg.seed());
    Deadline deadline = new Deadline(t0 + cfg.timeBudget().toNanos());
    ProbeRun run = new ProbeRun(c, s, cfg, boundPending ? null : bound.get(), deadline, obs, warnings);
    run.network = net;
    if (!boundPending) {
      for (ProbePhase phase : phases) {
        run.runTimed(phase);
      }
    } else {
      runPending(run, bound instanceof Bounds b ? b : new Bounds(null, bound), phases);
    }
    warnings.addAll(run.health.warnings());
    Probes probes = new Probes(s.name(), s.count(), run.clean, run.noise, run.attacks, run.certified,
        run.minPerturbation, round((System.nanoTime() - t0) / 1e9));
    ProbeResult.Detail detail = new ProbeResult.Detail(run.correct, run.margins, run.attackDetail, run.certifiedDetail,
        run.minPerturbationPerSample);
    // per-sample outcomes in the estimate: the monitor compares versions probed on the same samples sample by sample
    probes = probes.withOutcomes(SampleOutcomesRecorder.of(s, probes, detail)).withTimings(run.roundedTimings());
    return new ProbeResult(probes, List.copyOf(warnings), detail);
  }

  /**
   * Only {@code phases}, with no sound bound, returning the run itself: for benchmarks that read the phases' unrounded
   * {@link ProbeRun#timings}.
   */
  static ProbeRun runPhases(Classifier c, ProbeSet set, ProbeConfig cfg, List<ProbePhase> phases) {
    Nd4j.getRandom().setSeed(cfg.seed());
    ProbeRun run = new ProbeRun(c, set.head(cfg.samples()), cfg, null,
        new Deadline(System.nanoTime() + cfg.timeBudget().toNanos()), null, new ArrayList<>());
    for (ProbePhase phase : phases) {
      run.runTimed(phase);
    }
    return run;
  }

  /**
   * The phases while the sound bound is pending. The certificate phases ({@link #BESIDE}) start on their own thread as
   * soon as the phases before them have run, with the early bound (waiting for it there), while this thread runs the
   * attacks and the minimal-perturbation search; a phase reading the certificates (the certificate check) waits for
   * them, and for the final bound: when it differs from the early one the certificate phases run again with it. Each
   * phase's warnings are kept apart and put back in the phases' order, so warnings and figures are those of the
   * sequential run with the final bound.
   */
  private static void runPending(ProbeRun run, Bounds bounds, List<ProbePhase> phases) {
    List<String> warnings = run.warnings;
    int before = warnings.size();
    List<List<String>> said = new ArrayList<>();
    for (int i = 0; i < phases.size(); i++) {
      said.add(new ArrayList<>());
    }
    Future<ProbeRun> beside = null;
    boolean certified = false;
    try {
      for (int i = 0; i < phases.size(); i++) {
        ProbePhase phase = phases.get(i);
        if (BESIDE.contains(phase.getClass())) {
          if (beside == null) {
            beside = startBeside(run, bounds, phases, said);
          }
          continue;
        }
        if (NEED_BOUND.contains(phase.getClass()) && !certified) {
          certify(run, bounds, phases, said, beside, before);
          certified = true;
        }
        run.runTimed(phase);
        moveWarnings(warnings, before, said.get(i));
      }
      if (!certified) {
        certify(run, bounds, phases, said, beside, before);
      }
    } catch (RuntimeException | Error e) {
      // ND4J's native failures are Errors: either way the certificates' thread must not go on using the classifier
      // and the samples after the failure leaves this run; it ends within the probes' budget
      awaitQuietly(beside);
      throw e;
    }
    said.forEach(warnings::addAll);
  }

  /** Waits for {@code f} (null: nothing) to end, whatever it ends with. */
  private static void awaitQuietly(Future<?> f) {
    if (f == null) {
      return;
    }
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.CancellationException e) {
      // its own failure: the one that ended this run is reported
    }
  }

  /**
   * Starts the certificate phases on a run of their own (same samples, settings, deadline and network; the clean
   * phase's figures), built here so that its batches are made on this thread.
   */
  private static Future<ProbeRun> startBeside(ProbeRun run, Bounds bounds, List<ProbePhase> phases,
      List<List<String>> said) {
    ProbeRun side = new ProbeRun(run.classifier, run.samples, run.config, null, run.deadline, null, new ArrayList<>());
    side.network = run.network;
    side.correct = run.correct;
    side.margins = run.margins;
    side.clean = run.clean;
    return CERTIFY_THREADS.submit(() -> {
      long waited = System.nanoTime();
      side.soundUpperBound = bounds.earlyOrFinal();
      side.addTime(Probes.BOUND_WAIT, waited);
      runCertificatePhases(side, phases, said, 0);
      return side;
    });
  }

  /**
   * Takes the certificates made beside (rethrowing what their thread threw), then waits for the final bound and, when it
   * differs from the one they used, makes them again with it on this thread.
   */
  private static void certify(ProbeRun run, Bounds bounds, List<ProbePhase> phases, List<List<String>> said,
      Future<ProbeRun> beside, int before) {
    Double used;
    if (beside != null) {
      ProbeRun side = join(beside);
      used = side.soundUpperBound;
      run.certified.addAll(side.certified);
      run.certifiedDetail.addAll(side.certifiedDetail);
      side.timings.forEach((k, v) -> run.timings.merge(k, v, Double::sum));
    } else {
      long waited = System.nanoTime();
      used = bounds.earlyOrFinal();
      run.addTime(Probes.BOUND_WAIT, waited);
      run.soundUpperBound = used;
      runCertificatePhases(run, phases, said, before);
    }
    run.soundUpperBound = used;
    long waited = System.nanoTime();
    Double fin = bounds.get();
    run.addTime(Probes.BOUND_WAIT, waited);
    if (java.util.Objects.equals(fin, used)) {
      return;
    }
    // the engine found a smaller sound bound than the early one: certify again with it
    run.soundUpperBound = fin;
    run.certified.clear();
    run.certifiedDetail.clear();
    runCertificatePhases(run, phases, said, before);
  }

  /**
   * Runs the certificate phases ({@link #BESIDE}) on r in the phases' order, each one's warnings (those r's list holds
   * past {@code before}) into its slot in place of what an earlier run of it left there.
   */
  private static void runCertificatePhases(ProbeRun r, List<ProbePhase> phases, List<List<String>> said, int before) {
    for (int i = 0; i < phases.size(); i++) {
      if (BESIDE.contains(phases.get(i).getClass())) {
        said.get(i).clear();
        r.runTimed(phases.get(i));
        moveWarnings(r.warnings, before, said.get(i));
      }
    }
  }

  /** Moves the warnings a phase just added ({@code from} past index {@code before}) to the phase's slot. */
  private static void moveWarnings(List<String> from, int before, List<String> slot) {
    List<String> added = from.subList(before, from.size());
    slot.addAll(added);
    added.clear();
  }

  /** The run made beside; what its thread threw is rethrown as itself (an Error stays an Error). */
  private static ProbeRun join(Future<ProbeRun> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the certificates", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof Error err) {
        throw err;
      }
      throw cause instanceof RuntimeException re ? re : new IllegalStateException(cause);
    }
  }

  static Classifier classifierFor(Model model, ProbeSet s, boolean fastPath, List<String> warnings) {
    if (model instanceof MultiLayerNetwork mln && fastPath) {
      DenseClassifier d = DenseClassifier.tryOf(mln);
      if (d != null) {
        if (s.shape().size() != 1 && mln.layerInputSize(0) != s.dimension()) {
          throw new IllegalArgumentException("model input size " + mln.layerInputSize(0) + " does not match probe set "
              + s.name() + " dimension " + s.dimension());
        }
        return d;
      }
    }
    Dl4jClassifier d = new Dl4jClassifier(model, sampleShape(model, s));
    if (!d.crossEntropyLoss) {
      warnings.add("attacks ascend the output layer's own loss (not softmax cross-entropy): DL4J gradient path");
    }
    if (hasTrainingOnlyLayers(model)) {
      warnings.add("DL4J computes input gradients in training mode: dropout / batch normalisation make attack "
          + "gradients stochastic or batch-dependent");
    }
    return d;
  }

  /** Per-sample input shape the network wants: flat for dense inputs, [c, h, w] for convolutional ones. */
  static long[] sampleShape(Model model, ProbeSet s) {
    boolean cnn = false;
    if (model instanceof MultiLayerNetwork mln) {
      var pre = mln.getLayerWiseConfigurations().getInputPreProcess(0);
      var conf = mln.getLayer(0).conf().getLayer();
      cnn = !(pre instanceof FeedForwardToCnnPreProcessor) && isCnnLayer(conf);
    } else if (model instanceof ComputationGraph g) {
      String in = g.getConfiguration().getNetworkInputs().get(0);
      for (var e : g.getConfiguration().getVertexInputs().entrySet()) {
        if (e.getValue().contains(in) && g.getLayer(e.getKey()) != null) {
          var vconf = g.getConfiguration().getVertices().get(e.getKey());
          var pre = vconf instanceof org.deeplearning4j.nn.conf.graph.LayerVertex lv ? lv.getPreProcessor() : null;
          cnn |= !(pre instanceof FeedForwardToCnnPreProcessor) && isCnnLayer(g.getLayer(e.getKey()).conf().getLayer());
        }
      }
    }
    List<Integer> shape = s.shape();
    if (!cnn) {
      return new long[] {s.dimension()};
    }
    if (shape.size() == 3) {
      return new long[] {shape.get(0), shape.get(1), shape.get(2)};
    }
    if (shape.size() == 2) {
      return new long[] {1, shape.get(0), shape.get(1)};
    }
    long side = Math.round(Math.sqrt(s.dimension()));
    if (shape.size() == 1 && side * side == s.dimension()) {
      return new long[] {1, side, side};
    }
    throw new IllegalArgumentException("convolutional model, but probe set shape " + shape + " is not [h,w] or [c,h,w]");
  }

  private static boolean isCnnLayer(org.deeplearning4j.nn.conf.layers.Layer conf) {
    return conf instanceof ConvolutionLayer || conf instanceof SubsamplingLayer;
  }

  private static boolean hasTrainingOnlyLayers(Model model) {
    List<org.deeplearning4j.nn.api.Layer> layers = new ArrayList<>();
    if (model instanceof MultiLayerNetwork m) {
      layers.addAll(Arrays.asList(m.getLayers()));
    } else if (model instanceof ComputationGraph g) {
      layers.addAll(Arrays.asList(g.getLayers()));
    }
    for (var l : layers) {
      var conf = l.conf().getLayer();
      if (conf instanceof BatchNormalization || conf instanceof org.deeplearning4j.nn.conf.layers.DropoutLayer
          || conf.getIDropout() != null) {
        return true;
      }
    }
    return false;
  }

  /** Builds every batch once: flat float32 inputs and labels (their ND4J matrices are made when first asked for). */
  static List<Batch> batches(ProbeSet s, int batchSize) {
    int n = s.count();
    int d = s.dimension();
    List<Batch> out = new ArrayList<>();
    for (int off = 0; off < n; off += batchSize) {
      int m = Math.min(batchSize, n - off);
      float[] x = new float[m * d];
      if (s.uint8() != null) {
        double scale = (s.hi() - s.lo()) / 255.0;
        byte[] u = s.uint8();
        for (int k = 0; k < m * d; k++) {
          x[k] = (float) (s.lo() + scale * (u[off * d + k] & 0xff));
        }
      } else {
        System.arraycopy(s.float32(), off * d, x, 0, m * d);
      }
      int[] labels = Arrays.copyOfRange(s.labels(), off, off + m);
      out.add(new Batch(off, x, d, labels, s.classes()));
    }
    return out;
  }

  static double margin(double[] z) {
    double top = Double.NEGATIVE_INFINITY;
    double second = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      if (v > top) {
        second = top;
        top = v;
      } else if (v > second) {
        second = v;
      }
    }
    return top - second;
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int m = s.length / 2;
    return s.length % 2 == 1 ? s[m] : 0.5 * (s[m - 1] + s[m]);
  }

  static double round(double secs) {
    return Math.round(secs * 1000.0) / 1000.0;
  }

  /** Independent seed per (purpose, item, batch): results do not depend on what else ran. */
  static long mix(long seed, long purpose, long item, long batch) {
    long h = seed * 0x9E3779B97F4A7C15L + purpose;
    h = (h ^ (h >>> 31)) * 0xBF58476D1CE4E5B9L + item;
    h = (h ^ (h >>> 29)) * 0x94D049BB133111EBL + batch;
    return h ^ (h >>> 32);
  }

  static String fmt(double v) {
    return String.format(Locale.ROOT, "%.4g", v);
  }
}
