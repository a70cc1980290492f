package io.lipwatch.trainer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lipwatch.estimator.bench.CompareTable;
import io.lipwatch.estimator.bench.Npy;
import io.lipwatch.estimator.bench.Repeats;
import io.lipwatch.estimator.bench.TorchReference;
import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.model.Architectures;
import io.lipwatch.trainer.regularize.Regularization;
import io.lipwatch.trainer.regularize.RegularizedTrainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code lipwatch bench train}: wall time of one epoch of the MLP 784-256-256-10 (Adam, Fashion-MNIST) with DL4J's
 * {@code fit} on pre-batched data, with the trainer's own step without a regulariser, and with CLIP at the same batch
 * size; the ratio CLIP / fit is the design's target (≤ 2×). Each variant first runs one untimed warm-up epoch. The
 * trainer's step is the product's path (plain training included) for float32 dense-ReLU MLPs; DL4J's {@code fit} is
 * measured beside it for information (networks the step cannot serve train through DL4J's own layers and updater).
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

  /**
   * The CLIP of the benchmark rows: fixed λ = 0.05, the mean over the pairs, adaptive per-pair ascent with rejection,
   * pairs ascending freely (the reference code's pairs; the PyTorch reference mirrors exactly this).
   */
  public static Regularization benchClip(int pairs) {
    return Regularization.clip(0.05, 0, Double.NaN, pairs);
  }

  /**
   * {@code lipwatch bench train --compare}: one plain epoch (Adam 1e-3, softmax cross-entropy, batch {@code batch}) of
   * the MLP from the same initial weights on the same minibatches, in the same order: DL4J's {@code fit}, the
   * trainer's own step, and the PyTorch reference; then one CLIP epoch ({@link #benchClip}) from the same weights and
   * initial pairs, against the reference's CLIP epoch (same stacked batch, penalty, Adam step and pair ascent per
   * minibatch); repeats interleaved, each from the initial weights; test accuracy after the epoch as the check.
   */
  public static CompareTable compare(Path data, int samples, int batch, int pairs, long seed, int repeats)
      throws IOException {
    Path dir = Files.createTempDirectory("lipwatch-bench-train-");
    try (TorchReference ref = TorchReference.start(dir, Runtime.getRuntime().availableProcessors())) {
      return compare(data, samples, batch, pairs, seed, repeats, ref, dir);
    } finally {
      try (var st = Files.walk(dir)) {
        st.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  static CompareTable compare(Path data, int samples, int batch, int pairs, long seed, int repeats, TorchReference ref,
      Path dir) throws IOException {
    Datasets.Splits s = Datasets.load(data, "fashion-mnist");
    DataSet train = Datasets.toDataSet(s.train().head(samples));
    DataSet test = Datasets.toDataSet(s.test());
    List<DataSet> batches = new ArrayList<>(Datasets.batches(train, batch, seed));
    ObjectNode task = exportEpoch(net(train, seed), batches, test, dir);
    ObjectNode clipTask = exportClip(task, benchClip(pairs), batches.get(0).getFeatures(), seed, dir);
    CompareTable table = new CompareTable(String.format(Locale.ROOT,
        "train: MLP 784-256-256-10 relu, Adam 1e-3, %d samples, batch %d, one epoch from the same weights and batch"
            + " order; %d interleaved repeats%s", train.numExamples(), batch, repeats, ref == null ? ""
            : "; " + ref.describe()));
    // warm-up of every path on a throwaway network, untimed
    net(train, seed + 1).fit(new ListDataSetIterator<>(batches, 1));
    new RegularizedTrainer(net(train, seed + 1), Regularization.none(), 0, 1, seed).epoch(batches, null);
    new RegularizedTrainer(net(train, seed + 1), benchClip(pairs), 0, 1, seed).epoch(batches, null);
    if (ref != null) {
      ref.run(task);
      ref.run(clipTask);
    }
    double[] fit = new double[repeats];
    double[] fitProducts = new double[repeats];
    Dl4jFitProducts products = new Dl4jFitProducts(net(train, seed));
    products.epochSeconds(batches);
    double[] plain = new double[repeats];
    double[] clip = new double[repeats];
    double[] pt = new double[repeats];
    double[] ptClip = new double[repeats];
    double[] clipAcc = new double[repeats];
    double[] ptClipAcc = new double[repeats];
    double[] fitAcc = new double[repeats];
    double[] plainAcc = new double[repeats];
    double[] ptAcc = new double[repeats];
    for (int r = 0; r < repeats; r++) {
      MultiLayerNetwork a = net(train, seed);
      settle();
      long t0 = System.nanoTime();
      a.fit(new ListDataSetIterator<>(batches, 1));
      fit[r] = (System.nanoTime() - t0) / 1e9;
      fitAcc[r] = accuracy(a, test);
      settle();
      fitProducts[r] = products.epochSeconds(batches);
      RegularizedTrainer t = new RegularizedTrainer(net(train, seed), Regularization.none(), 0, 1, seed);
      settle();
      t0 = System.nanoTime();
      t.epoch(batches, null);
      plain[r] = (System.nanoTime() - t0) / 1e9;
      plainAcc[r] = accuracy(t.network(), test);
      RegularizedTrainer c = new RegularizedTrainer(net(train, seed), benchClip(pairs), 0, 1, seed);
      settle();
      t0 = System.nanoTime();
      c.epoch(batches, null);
      clip[r] = (System.nanoTime() - t0) / 1e9;
      clipAcc[r] = accuracy(c.network(), test);
      if (ref != null) {
        settle();
        JsonNode res = ref.run(task);
        pt[r] = epochSeconds(res);
        ptAcc[r] = res.path("values").path("test_accuracy").asDouble();
        settle();
        res = ref.run(clipTask);
        ptClip[r] = epochSeconds(res);
        ptClipAcc[r] = res.path("values").path("test_accuracy").asDouble();
      }
    }
    Repeats torch = ref == null ? null : new Repeats(pt);
    double[] ptv = ref == null ? null : new double[] {new Repeats(ptAcc).median()};
    // forward, backward to activations and to weights: 3 products of 2 flops per multiply-add per sample
    double flop = 6.0 * 268_800 * train.numExamples();
    // the product trains through the trainer's step; DL4J's fit is information
    table.add(new CompareTable.Row("plain epoch, trainer step", new Repeats(plain), torch, flop, 1.0, "test acc",
        new double[] {new Repeats(plainAcc).median()}, ptv));
    table.add(new CompareTable.Row("plain epoch, DL4J fit (information only)", new Repeats(fit), torch, flop,
        Double.NaN, "test acc", new double[] {new Repeats(fitAcc).median()}, ptv));
    // the floor of fit's epoch under any DL4J setting: its layers' ND4J products alone
    table.add(new CompareTable.Row("  DL4J fit's products alone (ND4J, as its layers call them)",
        new Repeats(fitProducts), torch, flop + 2.0 * 784 * 256 * train.numExamples(), Double.NaN, "-", null, null));
    // the pair rows go through the same passes, plus the input gradient of the pair rows (one more product of layer 0)
    double clipFlop = flop + 6.0 * 268_800 * 2 * pairs * batches.size() + 2.0 * 784 * 256 * 2 * pairs * batches.size();
    table.add(new CompareTable.Row("CLIP epoch, " + pairs + " pairs, λ 0.05, 1 ascent step per minibatch",
        new Repeats(clip), ref == null ? null : new Repeats(ptClip), clipFlop, 1.0, "test acc",
        new double[] {new Repeats(clipAcc).median()}, ref == null ? null : new double[] {new Repeats(ptClipAcc).median()}));
    if (ref == null) {
      table.note(TorchReference.INSTALL_HINT);
    }
    return table;
  }

  /**
   * A pause before each timed epoch, either side: after a run, that process's BLAS/OpenMP threads keep spinning for
   * up to ~200 ms (measured: ~1 core for 100–200 ms after the trainer's epoch), which would otherwise be charged to
   * whichever side runs next.
   */
  static void settle() {
    try {
      Thread.sleep(SETTLE_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static final long SETTLE_MS = 400;

  /**
   * The reference's epoch alone (its loop over the minibatches, as lipwatch's timing), or the whole task's time from a
   * reference script that does not report it.
   */
  static double epochSeconds(JsonNode res) {
    JsonNode e = res.path("values").path("epoch_seconds");
    return e.isNumber() ? e.asDouble() : res.path("seconds").asDouble();
  }

  static double accuracy(MultiLayerNetwork net, DataSet test) {
    int[] pred = net.output(test.getFeatures(), false).argMax(1).toIntVector();
    int[] label = test.getLabels().argMax(1).toIntVector();
    int ok = 0;
    for (int i = 0; i < pred.length; i++) {
      ok += pred[i] == label[i] ? 1 : 0;
    }
    return (double) ok / pred.length;
  }

  /** Initial weights, the minibatches concatenated in their order, and the test set, for the reference's epoch. */
  static ObjectNode exportEpoch(MultiLayerNetwork net, List<DataSet> batches, DataSet test, Path dir) throws IOException {
    ObjectNode task = TorchReference.task("train");
    task.put("lr", 1e-3);
    ArrayNode ws = task.putArray("w");
    ArrayNode bs = task.putArray("b");
    org.deeplearning4j.nn.api.Layer[] layers = net.getLayers();
    for (int i = 0; i < layers.length; i++) {
      INDArray w = layers[i].getParam("W").castTo(DataType.FLOAT).dup('c');
      INDArray b = layers[i].getParam("b").castTo(DataType.FLOAT).dup('c');
      Npy.writeFloat(dir.resolve("tw" + i + ".npy"), w.data().asFloat(), w.size(0), w.size(1));
      Npy.writeFloat(dir.resolve("tb" + i + ".npy"), b.data().asFloat(), w.size(1));
      ws.add("tw" + i + ".npy");
      bs.add("tb" + i + ".npy");
    }
    List<INDArray> xs = new ArrayList<>();
    List<INDArray> ys = new ArrayList<>();
    ArrayNode ranges = task.putArray("batches");
    long start = 0;
    for (DataSet d : batches) {
      xs.add(d.getFeatures());
      ys.add(d.getLabels());
      long end = start + d.numExamples();
      ranges.addArray().add(start).add(end);
      start = end;
    }
    INDArray x = Nd4j.vstack(xs.toArray(INDArray[]::new)).castTo(DataType.FLOAT).dup('c');
    int[] y = Nd4j.vstack(ys.toArray(INDArray[]::new)).argMax(1).toIntVector();
    Npy.writeFloat(dir.resolve("tx.npy"), x.data().asFloat(), x.size(0), x.size(1));
    Npy.writeInt(dir.resolve("ty.npy"), y, y.length);
    INDArray tx = test.getFeatures().castTo(DataType.FLOAT).dup('c');
    Npy.writeFloat(dir.resolve("ttx.npy"), tx.data().asFloat(), tx.size(0), tx.size(1));
    Npy.writeInt(dir.resolve("tty.npy"), test.getLabels().argMax(1).toIntVector(), (int) tx.size(0));
    task.put("x", "tx.npy");
    task.put("y", "ty.npy");
    task.put("test_x", "ttx.npy");
    task.put("test_y", "tty.npy");
    return task;
  }

  /**
   * The reference's CLIP epoch: the plain epoch's weights and batches, plus the pairs the trainer draws at its first
   * step (same seed, same minibatch) and the regularisation's λ, input range, ascent step and initial noise.
   */
  static ObjectNode exportClip(ObjectNode plain, Regularization reg, INDArray firstBatch, long seed, Path dir)
      throws IOException {
    INDArray pairs = io.lipwatch.trainer.regularize.ClipPenalty.initialPairs(reg, firstBatch, DataType.FLOAT, 0, 1, seed)
        .castTo(DataType.FLOAT).dup('c');
    Npy.writeFloat(dir.resolve("tpairs.npy"), pairs.data().asFloat(), pairs.size(0), pairs.size(1));
    ObjectNode task = plain.deepCopy();
    task.put("kind", "train_clip");
    task.put("pairs", "tpairs.npy");
    task.put("lambda", reg.weight());
    task.put("lo", 0.0);
    task.put("hi", 1.0);
    task.put("ascent_step", reg.ascentStep());
    task.put("init_noise", reg.initNoise());
    return task;
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

  static MultiLayerNetwork net(DataSet train, long seed) {
    return Architectures.mlp(train.numInputs(), new int[] {256, 256}, 10, Activation.RELU, 1e-3, seed);
  }

  public static void main(String[] args) throws IOException {
    int samples = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    System.out.print(run(Datasets.FASHION_MNIST, samples, 128, 64, 42).table());
  }
}
