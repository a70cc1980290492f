package io.lipwatch.estimator.bench;

import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.probes.Classifier;
import io.lipwatch.estimator.probes.Classifiers;
import io.lipwatch.estimator.probes.IdxReader;
import io.lipwatch.estimator.probes.ProbeBenchmark;
import io.lipwatch.estimator.probes.ProbeConfig;
import io.lipwatch.estimator.probes.ProbeResult;
import io.lipwatch.estimator.probes.ProbeRunner;
import io.lipwatch.estimator.probes.ProbeSet;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * {@code lipwatch bench scaling}: how the cost grows with the model and the probe set. MLPs 784-w-w-10 (ReLU, trained
 * one epoch on the first 10 000 Fashion-MNIST training images so the attacks have correct samples to break) at each
 * width; per width the default engine's bound methods (time per method, repeats) and the default probe suite at each
 * sample count (once: the expensive rows) and, unbudgeted, its dominant kernel (one PGD-L2 attack), with the peak heap
 * and peak RSS of each run; per row the fitted exponent k of
 * time ∝ size^k (least-squares slope in log–log: size = parameters for widths, samples for sample counts). A row whose
 * method ran into its budget is marked, its exponent is then a lower figure.
 */
public final class ScalingBenchmark {
  private static final int TRAIN = 10_000;

  private ScalingBenchmark() {}

  /** What to run: widths (MLP 784-w-w-10), probe sample counts at the first width, bound repeats. */
  public record Plan(List<Integer> widths, List<Integer> probeSamples, int repeats, long seed, Path data) {
    public Plan {
      widths = List.copyOf(widths);
      probeSamples = List.copyOf(probeSamples);
      if (widths.isEmpty() || repeats < 1) {
        throw new IllegalArgumentException("need at least one width and one repeat");
      }
    }

    public static Plan defaults(long seed, Path data, int repeats) {
      return new Plan(List.of(256, 1024, 2048), List.of(1000, 10_000), repeats, seed, data);
    }
  }

  /** A measured cell: repeats of seconds, and peaks of the run (bytes; -1 when unknown). */
  record Cell(Repeats seconds, long peakHeap, long peakRss, boolean budgetHit) {}

  public static String run(Plan plan) throws IOException {
    if (!Files.isDirectory(plan.data())) {
      throw new IOException(plan.data() + " not found (Debian package dataset-fashion-mnist)");
    }
    int maxSamples = plan.probeSamples().stream().mapToInt(Integer::intValue).max().orElse(1000);
    ProbeSet test = IdxReader.split(plan.data(), "t10k", "fashion-mnist").head(maxSamples);
    ProbeSet train = IdxReader.split(plan.data(), "train", "fashion-mnist-train").head(TRAIN);
    EngineConfig cfg = EngineConfig.defaults().withMethods(java.util.Set.of());
    LipschitzEngine engine = new LipschitzEngine(cfg);
    ProbeConfig probeDefaults = ProbeConfig.defaults();
    // JIT and native kernels warm, outside the timings
    MultiLayerNetwork warm = ProbeBenchmark.trainedMlp(train.head(1000), 64, plan.seed());
    engine.compute(NetworkExtractor.extract(warm), WarmStart.EMPTY, null);
    ProbeRunner.run(Classifiers.dl4j(warm, test.head(200), new ArrayList<>()), test.head(200),
        probeDefaults.withSamples(200).withSeed(plan.seed()), 1e6, NetworkExtractor.extract(warm));

    Map<String, Map<Integer, Cell>> rows = new LinkedHashMap<>();
    Map<Integer, Long> params = new LinkedHashMap<>();
    Map<Integer, Double> accuracy = new LinkedHashMap<>();
    for (int w : plan.widths()) {
      MultiLayerNetwork net = ProbeBenchmark.trainedMlp(train, w, plan.seed());
      params.put(w, net.numParams());
      ExtractedNetwork ex = NetworkExtractor.extract(net);
      Map<String, double[]> perMethod = new LinkedHashMap<>();
      Map<String, Boolean> hit = new LinkedHashMap<>();
      double[] total = new double[plan.repeats()];
      Peaks peaks = Peaks.start();
      double bestSound = Double.POSITIVE_INFINITY;
      for (int r = 0; r < plan.repeats(); r++) {
        long t0 = System.nanoTime();
        LipschitzEngine.Computed c = engine.compute(ex, WarmStart.EMPTY, null);
        total[r] = (System.nanoTime() - t0) / 1e9;
        for (UpperBound u : c.upper()) {
          perMethod.computeIfAbsent(u.method(), k -> new double[plan.repeats()])[r] = u.seconds();
          hit.merge(u.method(), budgetHit(u.note()), Boolean::logicalOr);
          if (u.sound()) {
            bestSound = Math.min(bestSound, u.value());
          }
        }
        for (LowerBound l : c.lower()) {
          perMethod.computeIfAbsent(l.method(), k -> new double[plan.repeats()])[r] = l.seconds();
          hit.merge(l.method(), budgetHit(l.note()), Boolean::logicalOr);
        }
      }
      Peaks.Reading pk = peaks.read();
      progress("w=" + w + ": bounds " + java.util.Arrays.toString(total) + " s");
      for (Map.Entry<String, double[]> e : perMethod.entrySet()) {
        rows.computeIfAbsent("bounds " + e.getKey(), k -> new LinkedHashMap<>())
            .put(w, new Cell(new Repeats(e.getValue()), -1, -1, hit.getOrDefault(e.getKey(), false)));
      }
      rows.computeIfAbsent("bounds, all default methods", k -> new LinkedHashMap<>())
          .put(w, new Cell(new Repeats(total), pk.heap(), pk.rss(), false));
      // the probe suite at the first sample count at every width; every sample count at the first width
      for (int n : plan.probeSamples()) {
        if (w != plan.widths().get(0) && n != plan.probeSamples().get(0)) {
          continue;
        }
        ProbeSet set = test.head(n);
        // the attack kernel alone, unbudgeted: how the suite's dominant cost grows when nothing is skipped
        ProbeConfig kc = probeDefaults.withSamples(n).withSeed(plan.seed()).withNoiseSigmas(List.of())
            .withCertifiedEps(List.of()).withMinPerturbation(null).withAttacks(List.of(KERNEL))
            .withTimeBudget(java.time.Duration.ofHours(1));
        Peaks kp = Peaks.start();
        ProbeResult kr = ProbeRunner.run(Classifiers.dl4j(net, set, new ArrayList<>()), set, kc, (Double) null, ex);
        Peaks.Reading kpr = kp.read();
        double ks = kr.probes().attacks().isEmpty() ? Double.NaN : kr.probes().attacks().get(0).seconds();
        rows.computeIfAbsent("PGD-L2 ε=1 20 steps, " + n + " samples", k -> new LinkedHashMap<>())
            .put(w, new Cell(new Repeats(new double[] {ks}), kpr.heap(), kpr.rss(), false));
        progress("w=" + w + " n=" + n + ": kernel " + ks + " s");
        ProbeConfig pc = probeDefaults.withSamples(n).withSeed(plan.seed());
        Peaks pp = Peaks.start();
        long t0 = System.nanoTime();
        Classifier cl = Classifiers.dl4j(net, set, new ArrayList<>());
        ProbeResult res = ProbeRunner.run(cl, set, pc, Double.isFinite(bestSound) ? bestSound : null, ex);
        double s = (System.nanoTime() - t0) / 1e9;
        Peaks.Reading r = pp.read();
        boolean skipped = res.warnings().stream().anyMatch(x -> x.contains("budget"));
        rows.computeIfAbsent("probe suite, " + n + " samples", k -> new LinkedHashMap<>())
            .put(w, new Cell(new Repeats(new double[] {s}), r.heap(), r.rss(), skipped));
        if (n == plan.probeSamples().get(0)) {
          accuracy.put(w, res.probes().cleanAccuracy());
        }
        progress("w=" + w + " n=" + n + ": suite " + s + " s");
      }
      net.close();
    }
    return table(plan, rows, params, accuracy, cfg, probeDefaults);
  }

  /** The probe kernel timed without a budget: plain cross-entropy PGD-L2, ε = 1, 20 steps of 0.125. */
  static final ProbeConfig.AttackSpec KERNEL = ProbeConfig.AttackSpec.pgd(ProbeConfig.Norm.L2, 1.0, 20, 0.125).plain();

  private static void progress(String s) {
    System.err.println("bench scaling: " + s);
  }

  private static boolean budgetHit(String note) {
    return note != null && note.contains("budget");
  }

  private static String table(Plan plan, Map<String, Map<Integer, Cell>> rows, Map<Integer, Long> params,
      Map<Integer, Double> accuracy, EngineConfig cfg, ProbeConfig pc) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "scaling: MLP 784-w-w-10 ReLU, trained 1 epoch on %d Fashion-MNIST images (seed %d);"
        + " default engine (budget %d s per method), %d repeat(s) per bounds cell; probe suite = the default probe"
        + " config (budget %d s), once per cell; * = a method or attack ran into its budget (exponent then a lower"
        + " figure)%n", TRAIN, plan.seed(), cfg.methodBudget().toSeconds(), plan.repeats(), pc.timeBudget().toSeconds()));
    StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-34s", "work"));
    for (int w : plan.widths()) {
      head.append(String.format(Locale.ROOT, " %-30s", String.format(Locale.ROOT, "w=%d (%.2fM, clean %.3f)", w,
          params.get(w) / 1e6, accuracy.getOrDefault(w, Double.NaN))));
    }
    sb.append(head).append(" exponent").append(System.lineSeparator());
    for (Map.Entry<String, Map<Integer, Cell>> e : rows.entrySet()) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-34s", e.getKey()));
      List<double[]> pts = new ArrayList<>();
      for (int w : plan.widths()) {
        Cell c = e.getValue().get(w);
        line.append(String.format(Locale.ROOT, " %-30s", c == null ? "" : c.seconds().seconds() + (c.budgetHit() ? " *" : "")));
        if (c != null) {
          pts.add(new double[] {params.get(w), c.seconds().median()});
        }
      }
      line.append(" ").append(pts.size() >= 2 ? String.format(Locale.ROOT, "%.2f (params)", slope(pts)) : "");
      sb.append(line).append(System.lineSeparator());
      if (e.getValue().values().stream().anyMatch(c -> c.peakHeap() >= 0)) {
        StringBuilder mem = new StringBuilder(String.format(Locale.ROOT, "%-34s", "  peak heap / peak RSS"));
        for (int w : plan.widths()) {
          Cell c = e.getValue().get(w);
          mem.append(String.format(Locale.ROOT, " %-30s", c == null ? "" : mb(c.peakHeap()) + " / " + mb(c.peakRss())));
        }
        sb.append(mem).append(System.lineSeparator());
      }
    }
    // samples: the first width's probe rows against each other
    int w0 = plan.widths().get(0);
    for (String what : List.of("probe suite, ", "PGD-L2 ε=1 20 steps, ")) {
      if (plan.probeSamples().size() < 2) {
        break;
      }
      List<double[]> pts = new ArrayList<>();
      for (int n : plan.probeSamples()) {
        Cell c = rows.get(what + n + " samples").get(w0);
        pts.add(new double[] {n, c.seconds().median()});
      }
      sb.append(String.format(Locale.ROOT, "%sat w=%d: exponent %.2f in the sample count (%s samples)%n", what, w0,
          slope(pts), plan.probeSamples()));
    }
    sb.append(String.format(Locale.ROOT, "weights: %s float32 at the widest (parameters × 4 B)%n",
        mb(4L * params.get(plan.widths().get(plan.widths().size() - 1)))));
    return sb.toString();
  }

  /** Least-squares slope of log y against log x. */
  static double slope(List<double[]> pts) {
    double mx = 0;
    double my = 0;
    for (double[] p : pts) {
      mx += Math.log(p[0]);
      my += Math.log(p[1]);
    }
    mx /= pts.size();
    my /= pts.size();
    double sxy = 0;
    double sxx = 0;
    for (double[] p : pts) {
      double dx = Math.log(p[0]) - mx;
      sxy += dx * (Math.log(p[1]) - my);
      sxx += dx * dx;
    }
    return sxy / sxx;
  }

  static String mb(long bytes) {
    if (bytes < 0) {
      return "n/a";
    }
    return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.2f GB", bytes / (double) (1L << 30))
        : String.format(Locale.ROOT, "%.0f MB", bytes / (double) (1L << 20));
  }

  /**
   * Peak heap (sum of the heap pools' peaks since {@link #start}) and peak RSS (VmHWM of /proc/self/status, reset through
   * /proc/self/clear_refs where the kernel allows; else the process's peak so far).
   */
  static final class Peaks {
    record Reading(long heap, long rss) {}

    private Peaks() {}

    static Peaks start() {
      System.gc();
      for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
        if (p.getType() == MemoryType.HEAP) {
          p.resetPeakUsage();
        }
      }
      try {
        Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      } catch (IOException | RuntimeException e) {
        // not permitted here: VmHWM is then the process's peak so far
      }
      return new Peaks();
    }

    Reading read() {
      long heap = 0;
      for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
        if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) {
          heap += p.getPeakUsage().getUsed();
        }
      }
      return new Reading(heap, vmHwm());
    }

    static long vmHwm() {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
          if (line.startsWith("VmHWM:")) {
            return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
          }
        }
      } catch (IOException | RuntimeException e) {
        // not Linux
      }
      return -1;
    }
  }
}
