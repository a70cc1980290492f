package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lipwatch.estimator.bench.CompareTable;
import io.lipwatch.estimator.bench.Npy;
import io.lipwatch.estimator.bench.Repeats;
import io.lipwatch.estimator.bench.TorchReference;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@code lipwatch bench probes}: the full probe suite on 1000 Fashion-MNIST test samples of an MLP 784-256-256-10
 * (ReLU), trained for one epoch on the first 10 000 training images (Adam, batch 128) so that the attacks have
 * something to break. Targets (README, "Performance"; PyTorch CPU on 2 cores): PGD-L2 ε=2 100 steps ≤ 3 s, FGSM ≤ 60 ms, whole
 * suite ≤ 10 s.
 */
public final class ProbeBenchmark {
  public static final Path DEFAULT_DATA = Path.of("/usr/share/datasets/fashion-mnist");
  static final int SAMPLES = 1000;

  private ProbeBenchmark() {}

  /** One row of the table. target is NaN when there is none. */
  public record Row(String work, double seconds, double targetSeconds, String result) {}

  /** The figures and the table, printable with {@link #toString()}. */
  public record Result(String model, int samples, String backend, List<Row> rows, Probes probes, List<String> warnings) {
    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format(Locale.ROOT, "probe benchmark: %s, %d Fashion-MNIST test samples, ND4J %s%n", model, samples,
          backend));
      sb.append(String.format(Locale.ROOT, "%-34s %10s %10s  %-6s %s%n", "work", "wall", "target", "ok", "result"));
      for (Row r : rows) {
        boolean hasTarget = !Double.isNaN(r.targetSeconds);
        sb.append(String.format(Locale.ROOT, "%-34s %10s %10s  %-6s %s%n", r.work, ms(r.seconds),
            hasTarget ? "≤ " + ms(r.targetSeconds) : "", hasTarget ? (r.seconds <= r.targetSeconds ? "yes" : "NO") : "",
            r.result));
      }
      for (String w : warnings) {
        sb.append("warning: ").append(w).append(System.lineSeparator());
      }
      return sb.toString();
    }

    private static String ms(double s) {
      return s < 1 ? String.format(Locale.ROOT, "%.0f ms", s * 1000) : String.format(Locale.ROOT, "%.2f s", s);
    }
  }

  /** Runs on {@link #DEFAULT_DATA}. */
  public static Result run(long seed) {
    return run(seed, DEFAULT_DATA, SAMPLES);
  }

  public static Result run(long seed, Path fashionMnistDir, int samples) {
    ProbeSet test;
    ProbeSet train;
    try {
      if (!Files.isDirectory(fashionMnistDir)) {
        throw new IOException(fashionMnistDir + " not found (Debian package dataset-fashion-mnist)");
      }
      test = IdxReader.split(fashionMnistDir, "t10k", "fashion-mnist").head(samples);
      train = IdxReader.split(fashionMnistDir, "train", "fashion-mnist-train").head(10_000);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    long t0 = System.nanoTime();
    MultiLayerNetwork net = trainedMlp(train, seed);
    double trainSecs = (System.nanoTime() - t0) / 1e9;

    // warm-up: JIT and native kernels, outside the timings
    ProbeConfig warm = ProbeConfig.defaults().withSamples(100).withNoiseSigmas(List.of()).withMinPerturbation(null)
        .withAttacks(List.of(AttackSpec.fgsm(Norm.L2, 1.0), AttackSpec.fgsm(Norm.LINF, 0.03),
            AttackSpec.pgd(Norm.L2, 1.0, 5, 0.25), AttackSpec.pgd(Norm.LINF, 0.03, 5, 0.0075)));
    ProbeRunner.run(net, test, warm, null);

    double lip = frobeniusProduct(net);
    ProbeConfig cfg = ProbeConfig.defaults().withSeed(seed).withSamples(samples).withBatchSize(samples);
    ProbeResult res = ProbeRunner.run(net, test, cfg, lip);
    Probes p = res.probes();

    List<Row> rows = new ArrayList<>();
    rows.add(new Row("train 1 epoch, 10k samples (setup)", trainSecs, Double.NaN, ""));
    double attackSecs = 0;
    for (Probes.AttackResult a : p.attacks()) {
      double target = Double.NaN;
      if (a.attack().equals("fgsm")) {
        target = 0.060;
      } else if (a.norm().equals("l2") && a.eps() == 2.0 && a.steps() == 100) {
        target = 3.0;
      }
      String name = a.attack() + " " + a.norm() + " ε=" + a.eps() + (a.steps() == null ? "" : " " + a.steps() + " steps");
      rows.add(new Row(name, a.seconds(), target, String.format(Locale.ROOT, "robust %.3f", a.robustAccuracy())));
      attackSecs += a.seconds();
    }
    double total = p.seconds();
    String noise = p.noiseAccuracy().stream().map(n -> String.format(Locale.ROOT, "σ=%s: %.3f", n.sigma(), n.accuracy()))
        .reduce((a, b) -> a + ", " + b).orElse("");
    rows.add(new Row("clean, noise, certified, min-pert", total - attackSecs, Double.NaN,
        String.format(Locale.ROOT, "clean %.3f; %s; median min L2 %s", p.cleanAccuracy(), noise,
            p.medianMinPerturbation() == null ? "n/a" : String.format(Locale.ROOT, "%.3f", p.medianMinPerturbation().value()))));
    rows.add(new Row("whole suite", total, 10.0, p.attacks().size() + " attacks"));
    return new Result("MLP 784-256-256-10 ReLU, trained 1 epoch (seed " + seed + ")", p.samples(),
        Nd4j.getBackend().getClass().getSimpleName(), rows, p, res.warnings());
  }

  static MultiLayerNetwork trainedMlp(ProbeSet train, long seed) {
    return trainedMlp(train, 256, seed);
  }

  /**
   * MLP (inputs)-w-w-(classes), ReLU, float32, He init, trained one epoch with Adam 1e-3 at batch 128 on {@code train}
   * in order: the benchmarks' network (probes at w = 256, scaling at several widths).
   */
  public static MultiLayerNetwork trainedMlp(ProbeSet train, int w, long seed) {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
        .weightInit(WeightInit.RELU).updater(new Adam(1e-3)).list()
        .layer(new DenseLayer.Builder().nIn(train.dimension()).nOut(w).activation(Activation.RELU).build())
        .layer(new DenseLayer.Builder().nIn(w).nOut(w).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(w).nOut(train.classes())
            .activation(Activation.SOFTMAX).build())
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    // pre-batched once: slicing minibatches in the loop is DL4J's slow path
    for (Attacks.Batch b : ProbeRunner.batches(train, 128)) {
      net.fit(new DataSet(b.x(), b.onehot()));
    }
    return net;
  }

  /** Product of Frobenius norms: a sound (loose) L2 Lipschitz bound of the logits of a ReLU MLP. */
  static double frobeniusProduct(MultiLayerNetwork net) {
    double l = 1;
    for (org.deeplearning4j.nn.api.Layer layer : net.getLayers()) {
      INDArray w = layer.getParam("W");
      l *= w.norm2Number().doubleValue();
    }
    return l;
  }

  /** The rows of {@code --compare}: single attacks (issue's table), then the whole suite. */
  static List<AttackSpec> compareAttacks() {
    return List.of(AttackSpec.fgsm(Norm.LINF, 0.03), AttackSpec.fgsm(Norm.L2, 1.0),
        AttackSpec.pgd(Norm.LINF, 0.03, 20, 2.5 * 0.03 / 20).plain(), AttackSpec.pgd(Norm.L2, 2.0, 100, 0.25).plain());
  }

  /**
   * {@code lipwatch bench probes --compare}: the benchmark's trained MLP and test samples, each row run by lipwatch and
   * by the PyTorch reference on the same weights and inputs, repeats interleaved. Without PyTorch: lipwatch's rows
   * alone and the install hint.
   */
  public static CompareTable compare(long seed, Path fashionMnistDir, int samples, int repeats, boolean suite)
      throws IOException {
    ProbeSet test = IdxReader.split(fashionMnistDir, "t10k", "fashion-mnist").head(samples);
    ProbeSet train = IdxReader.split(fashionMnistDir, "train", "fashion-mnist-train").head(10_000);
    MultiLayerNetwork net = trainedMlp(train, seed);
    Path dir = Files.createTempDirectory("lipwatch-bench-probes-");
    try (TorchReference ref = TorchReference.start(dir, Runtime.getRuntime().availableProcessors())) {
      ProbeConfig cfg = ProbeConfig.defaults().withSeed(seed).withSamples(samples).withBatchSize(samples)
          .withTimeBudget(Duration.ofHours(1));
      return compare(net, test, compareAttacks(), suite ? cfg : null, repeats, seed, ref, dir);
    } finally {
      deleteTree(dir);
    }
  }

  /**
   * Runs each attack (and the suite when {@code suiteCfg} is given) {@code repeats} times on each side, interleaved.
   * A single-attack row times that attack alone; in the suite both sides attack only the samples still standing at
   * the attack's norm and ε and report the accuracy under the attacks so far (the same work and the same figure).
   * The whole test set is one batch. {@code ref} null: lipwatch's rows only. Dense ReLU networks only (the reference
   * rebuilds them from their weights).
   */
  public static CompareTable compare(MultiLayerNetwork net, ProbeSet test, List<AttackSpec> attacks, ProbeConfig suiteCfg,
      int repeats, long seed, TorchReference ref, Path dir) throws IOException {
    // the reference runs plain cross-entropy PGD with the fixed step: lipwatch runs the same (not APGD)
    attacks = attacks.stream().map(a -> a.kind() == ProbeConfig.Kind.PGD ? a.plain() : a).toList();
    if (suiteCfg != null) {
      suiteCfg = suiteCfg.withAttacks(suiteCfg.attacks().stream()
          .map(a -> a.kind() == ProbeConfig.Kind.PGD ? a.plain() : a).toList());
    }
    int n = test.count();
    long macs = exportMlp(net, test, dir);
    double peak = io.lipwatch.estimator.bench.SgemmPeak.measure();
    CompareTable table = new CompareTable(String.format(Locale.ROOT,
        "probes: MLP %s, %d Fashion-MNIST test samples in one batch, %d interleaved repeats per row (FGSM rows at least "
            + SHORT_ROW_REPEATS + "); an attack row times"
            + " the clean pass (which samples are correct) and the attack on them, on both sides; sgemm peak (1024²)"
            + " lipwatch/ND4J %.1f GFLOP/s%s", shape(net), n, repeats, peak,
        ref == null ? "" : String.format(Locale.ROOT, ", %s: %.1f GFLOP/s", ref.describe(),
            ref.hello().path("sgemm_gflops").asDouble())));
    // warm-up of both sides (JIT, native kernels), untimed
    ProbeConfig base = ProbeConfig.defaults().withSeed(seed).withSamples(n).withBatchSize(n).withNoiseSigmas(List.of())
        .withCertifiedEps(List.of()).withMinPerturbation(null).withTimeBudget(Duration.ofHours(1));
    // both norms: the L∞ and L2 branches of the attack loops are separate code for the JIT
    ProbeRunner.run(net, test, base.withAttacks(List.of(AttackSpec.fgsm(Norm.L2, 1.0), AttackSpec.fgsm(Norm.LINF, 0.03),
        AttackSpec.pgd(Norm.L2, 1.0, 5, 0.25).plain(), AttackSpec.pgd(Norm.LINF, 0.03, 5, 0.0075).plain())), null);
    if (ref != null) {
      ref.run(attackTask(AttackSpec.pgd(Norm.L2, 1.0, 5, 0.25).plain(), test, seed));
    }
    Classifier c = ProbeRunner.classifierFor(net, test, true, new ArrayList<>());
    for (AttackSpec spec : attacks) {
      int reps = spec.kind() == ProbeConfig.Kind.FGSM ? Math.max(repeats, SHORT_ROW_REPEATS) : repeats;
      double[] lw = new double[reps];
      double[] pt = new double[reps];
      double[] lwv = new double[reps];
      double[] ptv = new double[reps];
      // untimed runs of the row first, as many on each side, up to WARM_RUNS or WARM_SECONDS: the JIT compiles the
      // per-row methods (called once per row and step) only after thousands of calls, and an FGSM took 76, 37, 27 …
      // ms over its first runs and 12–14 ms from about the 20th on (the stream's steady state after a few snapshots);
      // with one warm-up run the FGSM rows measured that tail, 1.3× PyTorch instead of below it
      long warmEnd = System.nanoTime() + (long) (WARM_SECONDS * 1e9);
      for (int w = 0; w < WARM_RUNS && (w == 0 || System.nanoTime() < warmEnd); w++) {
        cleanAndAttack(c, test, base.withSeed(seed - 1 - w).withAttacks(List.of(spec)));
        if (ref != null) {
          ref.run(attackTask(spec, test, seed - 1 - w));
        }
      }
      for (int r = 0; r < reps; r++) {
        ProbeRun run = cleanAndAttack(c, test, base.withSeed(seed + r).withAttacks(List.of(spec)));
        lw[r] = run.timings.get("clean") + run.timings.get("attacks");
        lwv[r] = run.attacks.get(0).robustAccuracy();
        if (ref != null) {
          var res = ref.run(attackTask(spec, test, seed + r));
          pt[r] = res.path("seconds").asDouble();
          ptv[r] = res.path("values").path("robust").asDouble();
        }
      }
      // a step is a forward and an input-gradient pass, 2 flops per multiply-add each; plus the final forward
      double flop = 2.0 * macs * n * (spec.kind() == ProbeConfig.Kind.FGSM ? 3 : 2 * spec.steps() + 1);
      table.add(new CompareTable.Row(rowName(spec), new Repeats(lw), ref == null ? null : new Repeats(pt), flop, 1.0,
          "robust", new double[] {new Repeats(lwv).median()}, ref == null ? null : new double[] {new Repeats(ptv).median()}));
    }
    if (suiteCfg != null) {
      double lip = frobeniusProduct(net);
      double[] lw = new double[repeats];
      double[] pt = new double[repeats];
      double[] lwv = null;
      double[] ptv = null;
      for (int r = 0; r < repeats; r++) {
        ProbeResult res = ProbeRunner.run(net, test, suiteCfg, lip);
        lw[r] = res.probes().seconds();
        lwv = suiteValues(res.probes());
        if (ref != null) {
          var t = suiteTask(suiteCfg, test, seed + r);
          var out = ref.run(t);
          pt[r] = out.path("seconds").asDouble();
          ptv = suiteValues(out.path("values"), suiteCfg);
        }
      }
      table.add(new CompareTable.Row("whole probe suite", new Repeats(lw), ref == null ? null : new Repeats(pt), 0, 1.0,
          "clean, robust per attack (under the attacks so far at its norm and ε), median min L2", lwv, ptv));
    }
    if (ref == null) {
      table.note(TorchReference.INSTALL_HINT);
    }
    return table;
  }

  /**
   * One attack row's work as the reference times it: which samples are classified correctly (the clean pass), then the
   * attack on them. The double-precision margins only the certificates read are left out, as the reference has none.
   */
  private static ProbeRun cleanAndAttack(Classifier c, ProbeSet test, ProbeConfig cfg) {
    return ProbeRunner.runPhases(c, test, cfg, List.of(new CleanAccuracyPhase(false), new AttackPhase()));
  }

  /**
   * Repeats of an FGSM row at least: a run takes 10–25 ms a side, and the median of 5 moved between 0.6× and 1.2× from
   * one bench run to the next with where the scheduler put the threads after a pause; 15 cost about a second.
   */
  static final int SHORT_ROW_REPEATS = 15;

  /** Untimed runs of a row on each side before its repeats: at most this many, … */
  static final int WARM_RUNS = 25;
  /** … and no more started after this many seconds (a PGD-L2 row gets 3–4 on each side). */
  static final double WARM_SECONDS = 4.0;

  static String rowName(AttackSpec a) {
    return a.kind().label() + " " + a.norm().label() + " ε=" + a.eps() + (a.kind() == ProbeConfig.Kind.PGD
        ? " " + a.steps() + "×" + String.format(Locale.ROOT, "%.4g", a.stepSize()) : "");
  }

  private static String shape(MultiLayerNetwork net) {
    StringBuilder sb = new StringBuilder();
    for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
      INDArray w = l.getParam("W");
      if (sb.length() == 0) {
        sb.append(w.size(0));
      }
      sb.append('-').append(w.size(1));
    }
    return sb.toString();
  }

  static double[] suiteValues(Probes p) {
    double[] v = new double[p.attacks().size() + 2];
    v[0] = p.cleanAccuracy();
    for (int i = 0; i < p.attacks().size(); i++) {
      v[i + 1] = p.attacks().get(i).robustAccuracy();
    }
    v[v.length - 1] = p.medianMinPerturbation() == null ? Double.NaN : p.medianMinPerturbation().value();
    return v;
  }

  static double[] suiteValues(JsonNode values, ProbeConfig cfg) {
    double[] v = new double[cfg.attacks().size() + 2];
    v[0] = values.path("clean").asDouble();
    for (int i = 0; i < cfg.attacks().size(); i++) {
      v[i + 1] = values.path(pyName(cfg.attacks().get(i))).asDouble(Double.NaN);
    }
    v[v.length - 1] = values.path("median_min_l2").asDouble(Double.NaN);
    return v;
  }

  /** The key the reference uses for an attack in its suite answer ({@code attack_name} there). */
  static String pyName(AttackSpec a) {
    return a.kind().label() + " " + a.norm().label() + " " + pyFloat(a.eps())
        + (a.kind() == ProbeConfig.Kind.PGD ? " " + a.steps() : "");
  }

  /** Python's "%g". */
  private static String pyFloat(double v) {
    String s = String.format(Locale.ROOT, "%.6g", v);
    if (s.contains("e")) {
      return s;
    }
    return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
  }

  static ObjectNode attackTask(AttackSpec a, ProbeSet test, long seed) {
    ObjectNode t = TorchReference.task(a.kind().label());
    attackFields(t, a, test);
    t.put("model", "model.json");
    t.put("seed", seed);
    return t;
  }

  private static void attackFields(ObjectNode t, AttackSpec a, ProbeSet test) {
    t.put("kind", a.kind().label());
    t.put("norm", a.norm().label());
    t.put("eps", a.eps());
    t.put("steps", a.steps());
    t.put("alpha", a.stepSize());
    t.put("lo", test.lo());
    t.put("hi", test.hi());
  }

  static ObjectNode suiteTask(ProbeConfig cfg, ProbeSet test, long seed) {
    ObjectNode t = TorchReference.task("suite");
    t.put("model", "model.json");
    t.put("seed", seed);
    t.put("lo", test.lo());
    t.put("hi", test.hi());
    ArrayNode noise = t.putArray("noise");
    cfg.noiseSigmas().forEach(noise::add);
    ArrayNode attacks = t.putArray("attacks");
    for (AttackSpec a : cfg.attacks()) {
      if (a.restarts() != 1) {
        throw new IllegalArgumentException("the reference runs one restart per attack: " + a);
      }
      attackFields(attacks.addObject(), a, test);
    }
    if (cfg.minPerturbation() != null) {
      ObjectNode mp = t.putObject("min_perturbation");
      mp.put("max_eps", cfg.minPerturbation().maxEps());
      mp.put("bisection_steps", cfg.minPerturbation().bisectionSteps());
      mp.put("steps", cfg.minPerturbation().pgdSteps());
    }
    return t;
  }

  /**
   * Writes model.json, the weights (w_i [nIn, nOut], b_i [nOut]) and x.npy / y.npy for the reference; returns the
   * network's multiply-adds per sample.
   */
  static long exportMlp(MultiLayerNetwork net, ProbeSet test, Path dir) throws IOException {
    if (DenseClassifier.tryOf(net) == null) {
      throw new IllegalArgumentException("--compare needs a dense network (Dense/Output layers)");
    }
    ObjectNode spec = TorchReference.task("mlp");
    ArrayNode stages = spec.putArray("stages");
    long macs = 0;
    org.deeplearning4j.nn.api.Layer[] layers = net.getLayers();
    for (int i = 0; i < layers.length; i++) {
      org.deeplearning4j.nn.conf.layers.BaseLayer conf = (org.deeplearning4j.nn.conf.layers.BaseLayer) layers[i].conf().getLayer();
      boolean last = i == layers.length - 1;
      if (!last && !(conf.getActivationFn() instanceof org.nd4j.linalg.activations.impl.ActivationReLU)) {
        throw new IllegalArgumentException("--compare supports ReLU hidden layers, layer " + i + " has "
            + conf.getActivationFn());
      }
      INDArray w = layers[i].getParam("W").castTo(DataType.FLOAT).dup('c');
      INDArray b = layers[i].getParam("b").castTo(DataType.FLOAT).dup('c');
      Npy.writeFloat(dir.resolve("w" + i + ".npy"), w.data().asFloat(), w.size(0), w.size(1));
      Npy.writeFloat(dir.resolve("b" + i + ".npy"), b.data().asFloat(), w.size(1));
      ObjectNode s = stages.addObject();
      s.put("kind", "dense");
      s.put("w", "w" + i + ".npy");
      s.put("b", "b" + i + ".npy");
      s.put("act", last ? "none" : "relu");
      macs += w.size(0) * w.size(1);
    }
    int n = test.count();
    int d = test.dimension();
    // exactly the float32 batch lipwatch attacks
    float[] x = ProbeRunner.batches(test, n).get(0).x().castTo(DataType.FLOAT).dup('c').data().asFloat();
    Npy.writeFloat(dir.resolve("x.npy"), x, n, d);
    Npy.writeInt(dir.resolve("y.npy"), test.labels(), n);
    spec.put("x", "x.npy");
    spec.put("y", "y.npy");
    TorchReference.writeJson(dir.resolve("model.json"), spec);
    return macs;
  }

  static void deleteTree(Path dir) {
    try (var s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp directory left behind is harmless
    }
  }

  public static void main(String[] args) {
    System.out.print(run(args.length > 0 ? Long.parseLong(args[0]) : 42L));
  }
}
