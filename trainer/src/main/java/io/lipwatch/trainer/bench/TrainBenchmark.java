package io.lipwatch.trainer.bench;

import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.model.Architectures;
import io.lipwatch.trainer.regularize.Regularization;
import io.lipwatch.trainer.regularize.RegularizedTrainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code lipwatch bench train}: wall time of one epoch of the MLP 784-256-256-10 (Adam, Fashion-MNIST) with DL4J's
 * {@code fit} on pre-batched data, with the trainer's own step without a regulariser, and with CLIP at the same batch
 * size; the ratio CLIP / fit is the design's target (≤ 2×). Each variant first runs one untimed warm-up epoch.
 */
public final class TrainBenchmark {
  private TrainBenchmark() {}

  public record Result(double fitSeconds, double plainSeconds, double clipSeconds, int samples, int batch, int pairs) {
    public double ratio() {
      return clipSeconds / fitSeconds;
    }

    public String table() {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format(Locale.ROOT, "MLP 784-256-256-10 relu, Adam 1e-3, %d samples, batch %d, ND4J %s%n", samples,
          batch, Nd4j.getBackend().getClass().getSimpleName()));
      sb.append(String.format(Locale.ROOT, "%-52s %10s %8s%n", "epoch", "seconds", "× fit"));
      sb.append(String.format(Locale.ROOT, "%-52s %10.2f %8.2f%n", "plain, DL4J fit (pre-batched ListDataSetIterator)",
          fitSeconds, 1.0));
      sb.append(String.format(Locale.ROOT, "%-52s %10.2f %8.2f%n", "plain, trainer step (no regulariser)", plainSeconds,
          plainSeconds / fitSeconds));
      sb.append(String.format(Locale.ROOT, "%-52s %10.2f %8.2f%n",
          "CLIP, " + pairs + " pairs, 1 ascent step per minibatch", clipSeconds, ratio()));
      sb.append(String.format(Locale.ROOT, "target: CLIP ≤ 2× plain → %s%n", ratio() <= 2 ? "met" : "NOT met"));
      return sb.toString();
    }
  }

  public static Result run(Path data, int samples, int batch, int pairs, long seed) throws IOException {
    Datasets.Splits s = Datasets.load(data, "fashion-mnist");
    DataSet train = Datasets.toDataSet(s.train().head(samples));
    List<DataSet> batches = new ArrayList<>(Datasets.batches(train, batch, seed));
    double fit = time(() -> {
      MultiLayerNetwork net = net(train, seed);
      Runnable epoch = () -> net.fit(new ListDataSetIterator<>(batches, 1));
      return epochTime(epoch, batches, seed);
    });
    double plain = time(() -> {
      RegularizedTrainer t = new RegularizedTrainer(net(train, seed), Regularization.none(), 0, 1, seed);
      return epochTime(() -> t.epoch(batches, null), batches, seed);
    });
    double clip = time(() -> {
      RegularizedTrainer t = new RegularizedTrainer(net(train, seed), Regularization.clip(0.05, 0, Double.NaN, pairs), 0, 1,
          seed);
      return epochTime(() -> t.epoch(batches, null), batches, seed);
    });
    return new Result(fit, plain, clip, train.numExamples(), batch, pairs);
  }

  private interface Timed {
    double get();
  }

  private static double time(Timed t) {
    return t.get();
  }

  /** One warm-up epoch, then one timed epoch. */
  private static double epochTime(Runnable epoch, List<DataSet> batches, long seed) {
    Collections.shuffle(batches, new Random(seed));
    epoch.run();
    Collections.shuffle(batches, new Random(seed + 1));
    long t0 = System.nanoTime();
    epoch.run();
    return (System.nanoTime() - t0) / 1e9;
  }

  private static MultiLayerNetwork net(DataSet train, long seed) {
    return Architectures.mlp(train.numInputs(), new int[] {256, 256}, 10, Activation.RELU, 1e-3, seed);
  }

  public static void main(String[] args) throws IOException {
    int samples = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    System.out.print(run(Datasets.FASHION_MNIST, samples, 128, 64, 42).table());
  }
}
