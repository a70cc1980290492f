package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.bounds.WarmStart;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Bounds and margins of the same map for classifiers whose output layer is a sigmoid or a hard sigmoid (binary: 2
 * outputs, and multi-class). On a linear classifier z = Ax + c the exact minimal L2 perturbation of argmax z is known
 * (LinearTruth, box-constrained, from DL4J's own forward pass): a certified sample must be at least that far, and the
 * engine's bound must be at least ‖A‖₂ — the constant of the logits, not of σ∘z.
 */
class OutputActivationCertificateTest {

  @ParameterizedTest(name = "{0}, {1} classes")
  @CsvSource({"SIGMOID, 2", "SIGMOID, 6", "HARDSIGMOID, 2", "HARDSIGMOID, 6"})
  void certifiedSamplesAreExactlyRobust(Activation act, int k) {
    int d = 12;
    SplittableRandom r = new SplittableRandom(31L * k + act.ordinal());
    double[][] w = new double[d][k];
    double[] b = new double[k];
    for (double[] row : w) {
      for (int j = 0; j < k; j++) {
        row[j] = r.nextGaussian();
      }
    }
    MultiLayerNetwork net = Fixtures.linear(w, b, act);
    ProbeSet set = Fixtures.labelledBy(net, Fixtures.uniformSet("lin", 600, List.of(d), k, 0.2, 0.8, 5), 0.02, 9);
    LinearTruth truth = LinearTruth.of(net, set);

    ExtractedNetwork x = NetworkExtractor.extract(net);
    double bound = new LipschitzEngine(EngineConfig.defaults().withMethods(Set.of("autolip"))
        .withBudget(Duration.ofSeconds(20))).compute(x, WarmStart.EMPTY, null).bounds().bestUpper();
    double exactNorm = spectralNorm(truth.a());
    assertTrue(bound >= exactNorm * (1 - 1e-12), "bound " + bound + " below the logits' constant " + exactNorm);
    assertEquals(exactNorm, bound, 1e-6 * exactNorm, "a linear classifier's bound is ‖A‖₂ (output activation dropped)");

    double[] eps = {truth.quantile(truth.l2(), 0.1) / 2, truth.quantile(truth.l2(), 0.3) / 2,
        truth.quantile(truth.l2(), 0.6) / 2};
    ProbeConfig cfg = ProbeConfig.defaults().withAttacks(List.of()).withNoiseSigmas(List.of())
        .withCertifiedEps(java.util.Arrays.stream(eps).boxed().toList()).withMinPerturbation(null)
        .withTimeBudget(Duration.ofMinutes(2));
    ProbeResult now = ProbeRunner.run(net, set, cfg, bound);
    // what the engine reported before: σ kept in the bound (¼ for sigmoid, 0.2 for hard sigmoid)
    double slope = act == Activation.SIGMOID ? 0.25 : 0.2;
    ProbeResult before = ProbeRunner.run(net, set, cfg, bound * slope);
    int wrongBefore = 0;
    for (int e = 0; e < eps.length; e++) {
      boolean[] cert = now.detail().certified().get(e).certified();
      boolean[] certBefore = before.detail().certified().get(e).certified();
      for (int i = 0; i < set.count(); i++) {
        if (cert[i]) {
          assertTrue(truth.correct()[i] && truth.l2()[i] > eps[e],
              "sample " + i + " certified at ε=" + eps[e] + " but exact distance " + truth.l2()[i]);
        }
        wrongBefore += certBefore[i] && !(truth.l2()[i] > eps[e]) ? 1 : 0;
      }
      double c = now.probes().certified().get(e).accuracy();
      assertTrue(c <= truth.robust(truth.l2(), eps[e]), "certified above exact robust accuracy");
      assertTrue(c > 0, "something certified at ε=" + eps[e]);
      System.out.printf(Locale.ROOT, "%s k=%d ε=%.4f: certified before %.3f, after %.3f, exact robust %.3f%n", act, k,
          eps[e], before.probes().certified().get(e).accuracy(), c, truth.robust(truth.l2(), eps[e]));
    }
    assertTrue(wrongBefore > 0, "the old bound (σ kept) certified samples that are not robust");
  }

  static double spectralNorm(double[][] a) {
    double[] s = Nd4j.createFromArray(a).castTo(DataType.DOUBLE).dup('f').data().asDouble();
    var m = Nd4j.createFromArray(a).castTo(DataType.DOUBLE);
    var sv = Nd4j.create(DataType.DOUBLE, Math.min(m.rows(), m.columns()));
    Nd4j.getBlasWrapper().lapack().gesvd(m.dup('f'), sv, null, null);
    double best = 0;
    for (double v : sv.toDoubleVector()) {
      best = Math.max(best, v);
    }
    return s.length == 0 ? 0 : best;
  }
}
