package io.lipwatch.trainer.reproduce;

import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.estimate.LipschitzBounds;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.probes.ProbeConfig;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.loop.RetrainingLoop;
import io.lipwatch.trainer.loop.TrainerConfig;
import io.lipwatch.trainer.regularize.Regularization;
import io.lipwatch.trainer.regularize.RegularizedTrainer;
import io.lipwatch.trainer.regularize.Regularizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code lipwatch reproduce clip}: the CLIP paper's Table 1 on Fashion-MNIST, CPU-sized. Standard, weight-decay and
 * CLIP models are trained with the same architecture, data, seed and epochs; each row gives train / test accuracy,
 * accuracy under Gaussian noise σ = 1 and under PGD-L2 ε = 2 (100 steps of 0.25, random start) on the first N test
 * samples, the final λ or µ, and the Lipschitz engine's best sound upper and best lower bound of the logit map.
 * Unlike the paper (checkpoint with the best PGD robustness, 100+ epochs), every model is evaluated after its last epoch.
 */
public final class ClipTable {
  private ClipTable() {}

  /**
   * @param arch         mlp (hidden sizes) or cnn
   * @param trainSamples first N training samples (0: all 60000)
   * @param probeSamples test samples for noise and PGD
   * @param targets      discrepancy-principle targets α of the regularised rows
   */
  /**
   * @param clip the CLIP rows' settings: weight, step and target are replaced by {@code lambda}, {@code dLambda} and
   *             each of {@code targets}
   */
  public record Options(Path data, String arch, int[] hidden, int epochs, int trainSamples, int probeSamples, int batch,
      int pairs, double lambda, double dLambda, double mu, double dMu, List<Double> targets, long seed, Regularization clip) {
    public static Options defaults() {
      return new Options(Datasets.FASHION_MNIST, "mlp", new int[] {256, 256}, 3, 0, 1000, 128, 64, 1.0, 0.5, 5e-4,
          5e-4, List.of(0.85), 42, Regularization.trackingClip(1.0, 0.85, 64));
    }
  }

  /**
   * @param clipPairs       the engine's {@code clip-pairs} lower bound
   * @param trainerEstimate CLIP rows: the trainer's running estimate (best quotient of its pairs) at the end; NaN otherwise
   */
  public record Row(String name, double train, double test, double noise, double pgd, double weight, Double bestUpper,
      Double bestLower, double trainSeconds, Double clipPairs, double trainerEstimate) {}

  public static List<Row> run(Options o, PrintStream log) throws IOException {
    Datasets.Splits s = Datasets.load(o.data(), "fashion-mnist");
    DataSet train = Datasets.toDataSet(s.train().head(o.trainSamples()));
    DataSet test = Datasets.toDataSet(s.test());
    ProbeSet probe = s.test().head(o.probeSamples());
    List<DataSet> batches = new ArrayList<>(Datasets.batches(train, o.batch(), o.seed()));
    List<DataSet> trainEval = train.batchBy(1000);
    List<DataSet> testEval = test.batchBy(1000);
    log.printf(Locale.ROOT, "Fashion-MNIST: %d training samples, %d test samples, noise/PGD on the first %d; %s %s, "
            + "Adam 1e-3, batch %d, %d epochs, seed %d, ND4J %s%n", train.numExamples(), test.numExamples(), probe.count(),
        o.arch(), o.arch().equals("mlp") ? java.util.Arrays.toString(o.hidden()) : "conv5x5·8-pool-conv5x5·16-pool-dense",
        o.batch(), o.epochs(), o.seed(), Nd4j.getBackend().getClass().getSimpleName());
    List<Regularization> regs = new ArrayList<>();
    List<String> names = new ArrayList<>();
    regs.add(Regularization.none());
    names.add("Standard");
    for (double a : o.targets()) {
      regs.add(Regularization.weightDecay(o.mu(), o.dMu(), a));
      names.add(String.format(Locale.ROOT, "Weight reg. %.0f", a * 100));
    }
    for (double a : o.targets()) {
      Regularization c = o.clip();
      regs.add(new Regularization(Regularizer.CLIP, o.lambda(), o.dLambda(), a, o.pairs(), c.form(), c.aggregate(),
          c.resetEvery(), c.adaptiveStep(), c.ascentStep(), c.initNoise(), c.lipBoundGrid(), c.tracking(), c.schedule()));
      names.add(String.format(Locale.ROOT, "CLIP %.0f", a * 100));
    }
    List<Row> rows = new ArrayList<>();
    for (int k = 0; k < regs.size(); k++) {
      Regularization r = regs.get(k);
      TrainerConfig cfg = new TrainerConfig("repro", o.data(), "fashion-mnist", o.hidden(), "relu", o.batch(), 1e-3, 1, 1,
          Duration.ZERO, o.trainSamples(), o.probeSamples(), o.seed(), o.arch(), r, null);
      MultiLayerNetwork net = RetrainingLoop.buildNetwork(cfg, train.numInputs(), 10);
      RegularizedTrainer t = new RegularizedTrainer(net, r, 0, 1, o.seed());
      long t0 = System.nanoTime();
      for (int e = 0; e < o.epochs(); e++) {
        Collections.shuffle(batches, new Random(o.seed() + e));
        RegularizedTrainer.EpochStats st;
        try (var bar = RetrainingLoop.progressBar(names.get(k) + " epoch " + (e + 1), batches.size())) {
          st = t.epoch(batches, bar);
        }
        log.printf(Locale.ROOT, "  %-16s epoch %d: loss %.4f, penalty %.4f, running train acc %.4f, %s %.4g → %.4g (%.1f s)%n",
            names.get(k), e + 1, st.loss(), st.penalty(), st.trainAccuracy(), r.regularizer() == Regularizer.WEIGHT_DECAY ? "µ" : "λ",
            st.weightBefore(), st.weightAfter(), st.seconds());
        if (r.regularizer() == Regularizer.CLIP) {
          int epoch = e + 1;
          java.util.DoubleSummaryStatistics moved = t.windowMoves().stream().filter(m -> m.epoch() == epoch)
              .mapToDouble(RegularizedTrainer.WindowMove::weight).summaryStatistics();
          log.printf(Locale.ROOT, "  %-16s trainer estimate %.3f, engine search at re-seeding %.3f, λ within the epoch %s%n",
              "", t.clipEstimate(), t.clip().engineSearchValue(), moved.getCount() == 0 ? "fixed"
                  : String.format(Locale.ROOT, "%.4g–%.4g (%d moves)", Math.min(moved.getMin(), st.weightBefore()),
                      Math.max(moved.getMax(), st.weightBefore()), moved.getCount()));
        }
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      double trainAcc = net.evaluate(new ListDataSetIterator<>(trainEval, 1)).accuracy();
      double testAcc = net.evaluate(new ListDataSetIterator<>(testEval, 1)).accuracy();
      ProbeConfig pc = ProbeConfig.defaults().withSeed(o.seed()).withNoiseSigmas(List.of(1.0))
          .withAttacks(List.of(ProbeConfig.AttackSpec.pgd(ProbeConfig.Norm.L2, 2.0, 100, 0.25)))
          .withCertifiedEps(List.of()).withMinPerturbation(null).withTimeBudget(Duration.ofMinutes(10));
      Estimate est = TableEstimates.of(net, names.get(k), EngineConfig.defaults().withBudget(Duration.ofSeconds(5)), pc,
          probe);
      LipschitzBounds b = est.lipschitz();
      Probes p = est.probes();
      Double clipPairs = b.lower().stream().filter(l -> l.method().equals(io.lipwatch.estimator.bounds.LowerBounds.CLIP))
          .map(l -> l.value()).findFirst().orElse(null);
      Row row = new Row(names.get(k), trainAcc, testAcc, p.noiseAccuracy().get(0).accuracy(),
          p.attacks().get(0).robustAccuracy(), t.weight(), b.bestUpper(), b.bestLower(), seconds, clipPairs,
          t.clipEstimate());
      log.printf(Locale.ROOT, "  %s%n", format(row));
      rows.add(row);
    }
    return rows;
  }

  /** Quick run from the classpath: {@code ClipTable [epochs] [trainSamples] [paper]}. */
  public static void main(String[] args) throws IOException {
    Options d = Options.defaults();
    Options o = new Options(d.data(), d.arch(), d.hidden(), args.length > 0 ? Integer.parseInt(args[0]) : d.epochs(),
        args.length > 1 ? Integer.parseInt(args[1]) : d.trainSamples(), d.probeSamples(), d.batch(), d.pairs(), d.lambda(),
        d.dLambda(), d.mu(), d.dMu(), d.targets(), d.seed(), args.length > 2 && args[2].equals("paper")
            ? Regularization.clip(1, 0.5, 0.85, 64).withAggregate(Regularization.Aggregate.MAX)
                .withSchedule(io.lipwatch.trainer.regularize.LambdaSchedule.PAPER) : d.clip());
    System.out.print(table(run(o, System.out)));
  }

  public static String header() {
    return String.format(Locale.ROOT, "%-16s %7s %7s %7s %7s %10s %10s %10s %10s %9s %9s", "model", "train", "test", "noise",
        "PGD", "λ / µ", "bestUpper", "bestLower", "clip-pairs", "trainer", "train s");
  }

  public static String format(Row r) {
    return String.format(Locale.ROOT, "%-16s %7.1f %7.1f %7.1f %7.1f %10.4g %10s %10s %10s %9s %9.0f", r.name(), 100 * r.train(),
        100 * r.test(), 100 * r.noise(), 100 * r.pgd(), r.weight(), two(r.bestUpper()), two(r.bestLower()),
        two(r.clipPairs()), Double.isNaN(r.trainerEstimate()) ? "-" : two(r.trainerEstimate()), r.trainSeconds());
  }

  private static String two(Double v) {
    return v == null ? "-" : String.format(Locale.ROOT, "%.2f", v);
  }

  public static String table(List<Row> rows) {
    StringBuilder sb = new StringBuilder(header()).append('\n');
    for (Row r : rows) {
      sb.append(format(r)).append('\n');
    }
    sb.append("accuracies in %; noise: Gaussian σ=1 clipped to [0,1]; PGD: L2 ε=2, 100 steps of 0.25, random start; "
        + "bounds of the logit map, L2→L2 (bestUpper sound); clip-pairs: the engine's pair search; trainer: the "
        + "trainer's running estimate (best quotient of its CLIP pairs)\n");
    return sb.toString();
  }
}
