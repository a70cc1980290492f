package io.lipwatch.trainer.reproduce;

import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.estimate.LipschitzBounds;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.probes.ProbeConfig;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.model.Architectures;
import io.lipwatch.trainer.regularize.AdmmSettings;
import io.lipwatch.trainer.regularize.Regularization;
import io.lipwatch.trainer.regularize.RegularizedTrainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;

/**
 * {@code lipwatch reproduce lipsdp}: standard, weight-decay, ADMM-LipSDP (Pauli et al. 2020; penalise and enforce) and
 * CLIP training of one Fashion-MNIST ReLU MLP (Pauli's MNIST shape 784-50-50-10 by default), side by side: clean and
 * PGD-L2 accuracy, accuracy certified by the sound bound, and AutoLip, SeqLip, LipSDP and the best lower bound.
 *
 * <p>Schedule, as Pauli et al.: the Lipschitz-trained nets start from the weight-decay net. Every model sees the same
 * number of epochs: standard, weight-decay and CLIP train {@code epochs + admmEpochs}; the ADMM rows take the
 * weight-decay net after {@code epochs} and run {@code admmEpochs} ADMM epochs (one W̄-step after each). The enforce
 * row's target is {@code targetFraction} × the weight-decay net's LipSDP bound unless given; its published weights are
 * the certified W̄.
 */
public final class LipSdpTable {
  private LipSdpTable() {}

  /**
   * @param hidden         hidden layer sizes (ReLU)
   * @param epochs         epochs before the ADMM rows branch off
   * @param admmEpochs     ADMM epochs (W-steps of one epoch each)
   * @param target         enforce-mode L_des; NaN: {@code targetFraction} × LipSDP of the weight-decay net
   * @param targetFraction see target
   * @param mu             penalise-mode µ
   * @param rho            ADMM ρ
   * @param eps            PGD-L2 radius (100 steps of ε/8, random start)
   * @param certifiedEps   L2 radius of the certified accuracy (margin > √2·L·ε with L the best sound bound)
   */
  public record Options(Path data, int[] hidden, int epochs, int admmEpochs, int trainSamples, int probeSamples,
      int batch, double learningRate, double target, double targetFraction, double mu, double rho, double weightDecay,
      double clipLambda, double clipTarget, int pairs, double eps, double certifiedEps, long seed) {
    public static Options defaults() {
      return new Options(Datasets.FASHION_MNIST, new int[] {50, 50}, 4, 4, 0, 1000, 100, 1e-3, Double.NaN, 0.5, AdmmSettings.DEFAULT_MU,
          2.0, 5e-4, 1.0, 0.85, 50, 1.0, 0.1, 42);
    }
  }

  public record Row(String name, double train, double test, double pgd, double certified, Double autolip,
      Double seqlip, boolean seqlipSound, Double lipsdp, Double bestLower, double trainSeconds, String note) {}

  public static List<Row> run(Options o, PrintStream log) throws IOException {
    Datasets.Splits s = Datasets.load(o.data(), "fashion-mnist");
    DataSet train = Datasets.toDataSet(s.train().head(o.trainSamples()));
    ProbeSet probe = s.test().head(o.probeSamples());
    List<DataSet> batches = new ArrayList<>(Datasets.batches(train, o.batch(), o.seed()));
    List<DataSet> trainEval = train.batchBy(1000);
    List<DataSet> testEval = Datasets.toDataSet(s.test()).batchBy(1000);
    log.printf(Locale.ROOT, "Fashion-MNIST: %d training samples; MLP 784-%s-10 ReLU, Adam %.0e, batch %d, seed %d; "
        + "%d + %d epochs per model; PGD-L2 ε=%.2g and certified ε=%.2g on the first %d test samples%n",
        train.numExamples(), String.join("-", Arrays.stream(o.hidden()).mapToObj(Integer::toString).toList()),
        o.learningRate(), o.batch(), o.seed(), o.epochs(), o.admmEpochs(), o.eps(), o.certifiedEps(), probe.count());
    List<Row> rows = new ArrayList<>();

    Trained standard = train("Standard", fresh(o), Regularization.none(), null, o.epochs() + o.admmEpochs(), 0, batches, o, log);
    rows.add(evaluate(standard, trainEval, testEval, probe, o, log));

    Regularization wd = Regularization.weightDecay(o.weightDecay(), 0, Double.NaN);
    Trained wdHalf = train("Weight decay", fresh(o), wd, null, o.epochs(), 0, batches, o, log);
    MultiLayerNetwork warm = wdHalf.net.clone();
    Trained wdFull = train("Weight decay", wdHalf.net, wd, null, o.admmEpochs(), o.epochs(), batches, o, log);
    wdFull = new Trained(wdFull.name, wdFull.net, wdFull.trainer, wdHalf.seconds + wdFull.seconds, "");
    rows.add(evaluate(wdFull, trainEval, testEval, probe, o, log));

    double target = o.target();
    if (Double.isNaN(target)) {
      LipschitzBounds b = bounds(warm, probe);
      Double l = value(b, "lipsdp");
      if (l == null) {
        throw new IllegalStateException("LipSDP of the weight-decay net failed; give the target explicitly");
      }
      target = Double.parseDouble(String.format(Locale.ROOT, "%.2g", o.targetFraction() * l));
      log.printf(Locale.ROOT, "  enforce target L_des = %.3g (%.2f × LipSDP %.4g of the weight-decay net after %d epochs)%n",
          target, o.targetFraction(), l, o.epochs());
    }
    AdmmSettings pen = AdmmSettings.penalize(o.mu()).withRho(o.rho());
    Trained admmP = train("ADMM µ=" + o.mu(), warm.clone(), Regularization.admmLipSdp(o.mu()), pen, o.admmEpochs(),
        o.epochs(), batches, o, log);
    rows.add(evaluate(withSeconds(admmP, wdHalf.seconds), trainEval, testEval, probe, o, log));
    AdmmSettings enf = AdmmSettings.enforce(target).withRho(o.rho());
    Trained admmE = train(String.format(Locale.ROOT, "ADMM L≤%.3g", target), warm.clone(),
        Regularization.admmLipSdp(o.mu()), enf, o.admmEpochs(), o.epochs(), batches, o, log);
    rows.add(evaluate(withSeconds(admmE, wdHalf.seconds), trainEval, testEval, probe, o, log));

    Regularization clip = Regularization.clip(o.clipLambda(), o.clipLambda() / 2, o.clipTarget(), o.pairs());
    Trained c = train(String.format(Locale.ROOT, "CLIP %.0f", 100 * o.clipTarget()), fresh(o), clip, null,
        o.epochs() + o.admmEpochs(), 0, batches, o, log);
    rows.add(evaluate(c, trainEval, testEval, probe, o, log));
    return rows;
  }

  private record Trained(String name, MultiLayerNetwork net, RegularizedTrainer trainer, double seconds, String note) {}

  private static Trained withSeconds(Trained t, double extra) {
    return new Trained(t.name, t.net, t.trainer, t.seconds + extra, t.note);
  }

  private static MultiLayerNetwork fresh(Options o) {
    return Architectures.mlp(784, o.hidden(), 10, Activation.RELU, o.learningRate(), o.seed());
  }

  private static Trained train(String name, MultiLayerNetwork net, Regularization r, AdmmSettings admm, int epochs,
      int firstEpoch, List<DataSet> batches, Options o, PrintStream log) {
    RegularizedTrainer t = new RegularizedTrainer(net, r, 0, 1, o.seed());
    if (admm != null) {
      t.withAdmm(admm);
    }
    long t0 = System.nanoTime();
    for (int e = firstEpoch; e < firstEpoch + epochs; e++) {
      Collections.shuffle(batches, new Random(o.seed() + e));
      RegularizedTrainer.EpochStats st = t.epoch(batches, null);
      log.printf(Locale.ROOT, "  %-16s epoch %d: loss %.4f, penalty %.4f, running train acc %.4f (%.1f s)%s%n", name,
          e + 1, st.loss(), st.penalty(), st.trainAccuracy(), st.seconds(),
          t.admm() != null && t.admm().lastReport() != null ? "; " + t.admm().lastReport() : "");
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    String note = admm == null ? "" : admm.mode() == AdmmSettings.Mode.ENFORCE
        ? "published: certified W̄" : "published: trained W";
    return new Trained(name, t.publishedNetwork(), t, seconds, note);
  }

  private static final EngineConfig ENGINE = EngineConfig.defaults().withBudget(Duration.ofSeconds(10));

  private static LipschitzBounds bounds(MultiLayerNetwork net, ProbeSet probe) {
    return TableEstimates.of(net, "weight-decay-warm-start", ENGINE, null, probe).lipschitz();
  }

  private static Double value(LipschitzBounds b, String method) {
    for (UpperBound u : b.upper()) {
      if (u.method().equals(method)) {
        return u.value();
      }
    }
    return null;
  }

  private static Row evaluate(Trained t, List<DataSet> trainEval, List<DataSet> testEval, ProbeSet probe,
      Options o, PrintStream log) {
    double trainAcc = t.net.evaluate(new ListDataSetIterator<>(trainEval, 1)).accuracy();
    double testAcc = t.net.evaluate(new ListDataSetIterator<>(testEval, 1)).accuracy();
    ProbeConfig pc = ProbeConfig.defaults().withSeed(o.seed()).withNoiseSigmas(List.of())
        .withAttacks(List.of(ProbeConfig.AttackSpec.pgd(ProbeConfig.Norm.L2, o.eps(), 100, o.eps() / 8)))
        .withCertifiedEps(List.of(o.certifiedEps())).withMinPerturbation(null).withTimeBudget(Duration.ofMinutes(10));
    Estimate est = TableEstimates.of(t.net, t.name, ENGINE, pc, probe);
    LipschitzBounds b = est.lipschitz();
    Probes p = est.probes();
    UpperBound seq = null;
    for (UpperBound u : b.upper()) {
      if (u.method().startsWith("seqlip") && (seq == null || u.sound())) {
        seq = u;
      }
    }
    double cert = p.certified().isEmpty() ? Double.NaN : p.certified().get(0).accuracy();
    Row row = new Row(t.name, trainAcc, testAcc, p.attacks().get(0).robustAccuracy(), cert, value(b, "autolip"),
        seq == null ? null : seq.value(), seq != null && seq.sound(), value(b, "lipsdp"), b.bestLower(), t.seconds,
        t.note);
    log.printf(Locale.ROOT, "  %s%n", format(row));
    return row;
  }

  public static String header() {
    return String.format(Locale.ROOT, "%-14s %6s %6s %6s %6s %9s %9s %9s %9s %7s", "model", "train", "test", "PGD",
        "cert.", "AutoLip", "SeqLip", "LipSDP", "lower", "train s");
  }

  public static String format(Row r) {
    return String.format(Locale.ROOT, "%-14s %6.1f %6.1f %6.1f %6.1f %9s %9s %9s %9s %7.0f", r.name(), 100 * r.train(),
        100 * r.test(), 100 * r.pgd(), 100 * r.certified(), num(r.autolip(), true), num(r.seqlip(), r.seqlipSound()),
        num(r.lipsdp(), true), num(r.bestLower(), true), r.trainSeconds());
  }

  private static String num(Double v, boolean sound) {
    return v == null ? "-" : String.format(Locale.ROOT, "%.3f%s", v, sound ? "" : "~");
  }

  public static String table(List<Row> rows, Options o) {
    StringBuilder sb = new StringBuilder(header()).append('\n');
    for (Row r : rows) {
      sb.append(format(r)).append('\n');
    }
    sb.append(String.format(Locale.ROOT, "accuracies in %%; PGD: L2 ε=%.2g, 100 steps of ε/8, random start; cert.: "
        + "accuracy certified at L2 ε=%.2g by the best sound bound (margin > √2·L·ε); bounds of the logit map, L2→L2; "
        + "~ marks an estimate (greedy SeqLip), the other bounds are sound; lower = best lower bound (gradient norm, "
        + "pair search)%n", o.eps(), o.certifiedEps()));
    return sb.toString();
  }
}
