package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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

  /**
   * The certificate phases run beside the phases after them: a phase after them on the calling thread sees the
   * certificates' thread ask for the bound before it ends (it waits for that, with a timeout, instead of racing).
   */
  @Test
  void certificatesRunBesideTheAttacks() throws Exception {
    MultiLayerNetwork net = Fixtures.mlp(51, 32, 16, 10, Activation.RELU);
    ProbeSet set = Fixtures.labelledBy(net, Fixtures.uniformSet("beside", 60, List.of(32), 10, 0.0, 1.0, 52), 0.1, 53);
    ProbeConfig cfg = ProbeConfig.defaults().withSamples(60).withBatchSize(50).withNoiseSigmas(List.of())
        .withAttacks(List.of()).withCertifiedEps(List.of(0.02, 0.05)).withTimeBudget(Duration.ofMinutes(5));
    Classifier c = ProbeRunner.classifierFor(net, set, true, new ArrayList<>());
    CountDownLatch asked = new CountDownLatch(1);
    Thread caller = Thread.currentThread();
    AtomicBoolean askedElsewhere = new AtomicBoolean();
    java.util.function.Supplier<Double> bound = () -> {
      if (Thread.currentThread() != caller) {
        askedElsewhere.set(true);
      }
      asked.countDown();
      return 1.5;
    };
    AtomicBoolean overlapped = new AtomicBoolean();
    ProbePhase attacksStandIn = new ProbePhase() {
      public String name() {
        return "stand-in";
      }

      public void run(ProbeRun run) {
        try {
          overlapped.set(asked.await(60, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    List<ProbePhase> phases = List.of(new CleanAccuracyPhase(), new CertifiedAccuracyPhase(), attacksStandIn,
        new CertificateCheckPhase());
    ProbeResult pending = ProbeRunner.run(c, set, cfg, bound, true, null, new ArrayList<>(), null, phases);
    ProbeResult known = ProbeRunner.run(c, set, cfg, () -> 1.5, false, null, new ArrayList<>(), null, phases);
    assertTrue(overlapped.get(), "the certificates asked for the bound while the phase after them ran");
    assertTrue(askedElsewhere.get(), "on a thread of their own");
    assertEquals(known.probes().certified(), pending.probes().certified());
    assertEquals(known.warnings(), pending.warnings());
    assertTrue(pending.probes().timings().containsKey("certified"), pending.probes().timings().toString());
  }

  /**
   * A phase failing on the calling thread (an Error, as ND4J's native failures are) reaches the caller only after the
   * certificates' thread has ended: it must not go on with the classifier and samples of a run that is over.
   */
  @Test
  void aFailingPhaseWaitsForTheCertificatesThread() {
    MultiLayerNetwork net = Fixtures.mlp(51, 32, 16, 10, Activation.RELU);
    ProbeSet set = Fixtures.labelledBy(net, Fixtures.uniformSet("failing", 60, List.of(32), 10, 0.0, 1.0, 52), 0.1, 53);
    ProbeConfig cfg = ProbeConfig.defaults().withSamples(60).withBatchSize(50).withNoiseSigmas(List.of())
        .withAttacks(List.of()).withCertifiedEps(List.of(0.02)).withTimeBudget(Duration.ofMinutes(5));
    Classifier c = ProbeRunner.classifierFor(net, set, true, new ArrayList<>());
    CountDownLatch asked = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    AtomicBoolean answered = new AtomicBoolean();
    java.util.function.Supplier<Double> bound = () -> {
      asked.countDown();
      try {
        never.await(1, TimeUnit.SECONDS); // the bound is still being computed when the phase fails
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      answered.set(true);
      return 1.5;
    };
    ProbePhase failing = new ProbePhase() {
      public String name() {
        return "failing";
      }

      public void run(ProbeRun run) {
        try {
          asked.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        throw new org.nd4j.linalg.api.blas.BlasException("native gemm failed");
      }
    };
    List<ProbePhase> phases = List.of(new CleanAccuracyPhase(), new CertifiedAccuracyPhase(), failing,
        new CertificateCheckPhase());
    org.junit.jupiter.api.Assertions.assertThrows(org.nd4j.linalg.api.blas.BlasException.class,
        () -> ProbeRunner.run(c, set, cfg, bound, true, null, new ArrayList<>(), null, phases));
    assertTrue(answered.get(), "the failure reached the caller while the certificates' thread was still waiting");
  }
}
