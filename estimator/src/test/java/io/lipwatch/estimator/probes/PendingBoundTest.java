package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/**
 * Probing while the bound is still being computed gives the figures of the run that had the bound from the start:
 * with an early bound equal to the final one, and with a looser early bound (the certificates are made again with the
 * final one), and with no early bound at all.
 */
class PendingBoundTest {
  @Test
  void pendingBoundGivesTheFiguresOfTheKnownBound() {
    MultiLayerNetwork net = Fixtures.mlp(51, 32, 16, 10, Activation.RELU);
    ProbeSet set = Fixtures.labelledBy(net, Fixtures.uniformSet("pending", 80, List.of(32), 10, 0.0, 1.0, 52), 0.1, 53);
    ProbeConfig cfg = ProbeConfig.defaults().withSamples(80).withBatchSize(50).withNoiseSigmas(List.of(0.1))
        .withAttacks(List.of(AttackSpec.fgsm(Norm.L2, 0.3), AttackSpec.pgd(Norm.L2, 0.3, 10, 0.05)))
        .withCertifiedEps(List.of(0.02, 0.05)).withMinPerturbation(new ProbeConfig.MinPerturbationSpec(2.0, 2, 4))
        .withTimeBudget(Duration.ofMinutes(5));
    Classifier c = ProbeRunner.classifierFor(net, set, true, new ArrayList<>());
    double bound = 1.5;
    ProbeResult known = ProbeRunner.run(c, set, cfg, bound);
    assertTrue(known.probes().certified().stream().anyMatch(x -> x.accuracy() > 0), "something is certified");
    for (Double early : new Double[] {bound, 3.0, null}) {
      ProbeResult pending = ProbeRunner.run(c, set, cfg, () -> early, () -> bound, null);
      assertEquals(known.probes().certified(), pending.probes().certified(), "early bound " + early);
      assertEquals(known.warnings(), pending.warnings(), "early bound " + early);
      assertEquals(known.probes().cleanAccuracy(), pending.probes().cleanAccuracy());
      assertEquals(known.probes().outcomes(), pending.probes().outcomes());
      for (int a = 0; a < cfg.attacks().size(); a++) {
        assertArrayEquals(known.detail().attacks().get(a).robust(), pending.detail().attacks().get(a).robust());
      }
      assertArrayEquals(known.detail().minPerturbation(), pending.detail().minPerturbation());
    }
    // an early bound that fails — ND4J's native failures are Errors, not RuntimeExceptions — falls back to the final one
    java.util.function.Supplier<Double> failing = () -> {
      throw new org.nd4j.linalg.api.blas.BlasException("native gemm failed");
    };
    ProbeResult fallback = ProbeRunner.run(c, set, cfg, failing, () -> bound, null);
    assertEquals(known.probes().certified(), fallback.probes().certified(), "failing early bound");
    assertEquals(known.probes().outcomes(), fallback.probes().outcomes(), "failing early bound");
    // the looser early bound alone certifies less: the second certification mattered
    ProbeResult loose = ProbeRunner.run(c, set, cfg, 3.0);
    assertTrue(loose.probes().certified().get(0).accuracy() < known.probes().certified().get(0).accuracy());
  }
}
