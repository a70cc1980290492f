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
 * something to break. Targets (design §10, PyTorch CPU on 2 cores): PGD-L2 ε=2 100 steps ≤ 3 s, FGSM ≤ 60 ms, whole
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
        .withAttacks(List.of(AttackSpec.fgsm(Norm.L2, 1.0), AttackSpec.pgd(Norm.L2, 1.0, 5, 0.25)));
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
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT)
        .weightInit(WeightInit.RELU).updater(new Adam(1e-3)).list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(256).activation(Activation.RELU).build())
        .layer(new DenseLayer.Builder().nIn(256).nOut(256).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(256).nOut(10)
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

  public static void main(String[] args) {
    System.out.print(run(args.length > 0 ? Long.parseLong(args[0]) : 42L));
  }
}
