package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/**
 * The clean-accuracy phase's kept clean pass (FGSM reads its gradients instead of stepping at the clean point): the
 * same clean predictions as the plain logits, exactly the kernel's own step at the clean point, and FGSM outcomes
 * equal to FGSM stepping itself.
 */
class CleanPassTest {
  /** Two blocks (a 100-row batch and a 50-row one). */
  private static final int ROWS = 150;

  private static final MultiLayerNetwork NET = Fixtures.mlp(21, 64, 32, 10, Activation.RELU);
  private static final ProbeSet SET =
      Fixtures.labelledBy(NET, Fixtures.uniformSet("clean-pass", ROWS, List.of(64), 10, 0.0, 1.0, 22), 0.3, 23);

  private static ProbeRun clean(Classifier c, List<AttackSpec> attacks) {
    ProbeConfig cfg = ProbeConfig.defaults().withSamples(ROWS).withBatchSize(100).withNoiseSigmas(List.of())
        .withCertifiedEps(List.of()).withMinPerturbation(null).withAttacks(attacks);
    return ProbeRunner.runPhases(c, SET, cfg, List.of(new CleanAccuracyPhase()));
  }

  @Test
  void keptOnlyForAnFgsmAndWithTheSamePredictions() {
    DenseClassifier dense = DenseClassifier.tryOf(NET);
    ProbeRun plain = clean(dense, List.of(AttackSpec.pgd(Norm.L2, 0.5, 3, 0.2)));
    ProbeRun kept = clean(dense, List.of(AttackSpec.fgsm(Norm.LINF, 0.05)));
    assertEquals(2, kept.batches.size(), "batches of 100 and 50");
    for (int i = 0; i < kept.batches.size(); i++) {
      assertNull(plain.batches.get(i).clean(), "no FGSM: nothing kept");
      assertNotNull(kept.batches.get(i).clean(), "FGSM configured: the clean pass is kept");
    }
    assertArrayEquals(plain.correct, kept.correct, "the same clean predictions");
    assertArrayEquals(plain.margins, kept.margins, "the same double-precision margins");
    assertTrue(plain.clean > 0.2 && plain.clean < 0.95, "a mix of correct and wrong samples: " + plain.clean);
  }

  @Test
  void notKeptPastItsSizeCap() {
    ProbeConfig cfg = ProbeConfig.defaults().withSamples(ROWS).withBatchSize(100).withNoiseSigmas(List.of())
        .withCertifiedEps(List.of()).withMinPerturbation(null).withAttacks(List.of(AttackSpec.fgsm(Norm.LINF, 0.05)));
    DenseClassifier dense = DenseClassifier.tryOf(NET);
    ProbeRun capped = ProbeRunner.runPhases(dense, SET, cfg,
        List.of(new CleanAccuracyPhase(true, (long) ROWS * 64 - 1), new AttackPhase()));
    ProbeRun kept = ProbeRunner.runPhases(dense, SET, cfg,
        List.of(new CleanAccuracyPhase(true, (long) ROWS * 64), new AttackPhase()));
    assertNull(capped.batches.get(0).clean(), "one float over the cap: nothing kept");
    assertNotNull(kept.batches.get(0).clean(), "at the cap: kept");
    assertArrayEquals(kept.correct, capped.correct);
    assertEquals(kept.attacks.get(0).robustAccuracy(), capped.attacks.get(0).robustAccuracy(), 1.5 / ROWS,
        "FGSM stepping itself: the same figure within a row");
  }

  @Test
  void theKeptPassIsTheKernelsStepAtTheCleanPoint() {
    DenseClassifier dense = DenseClassifier.tryOf(NET);
    Attacks.Batch b = clean(dense, List.of(AttackSpec.fgsm(Norm.L2, 0.5))).batches.get(0);
    try (StepKernel k = StepKernel.of(dense, b)) {
      Attacks.Work w = new Attacks.Work(b, k.classes());
      k.step(w.x, LogitLoss.CE, w.z, w.g);
      assertArrayEquals(w.z, b.clean().logits());
      assertArrayEquals(w.g, b.clean().grad());
    }
  }

  @Test
  void fgsmFromTheKeptPassFoolsExactlyTheSameRows() {
    DenseClassifier dense = DenseClassifier.tryOf(NET);
    Attacks.Batch kept = clean(dense, List.of(AttackSpec.fgsm(Norm.LINF, 0.05))).batches.get(0);
    Attacks.Batch own = ProbeRunner.batches(SET, 100).get(0);
    assertNull(own.clean());
    for (Norm norm : Norm.values()) {
      double eps = norm == Norm.L2 ? 0.25 : 0.08;
      // all rows: the same block cut as the clean pass, so both steps are the same arithmetic
      Attacks.Outcome a = Attacks.fgsm(dense, kept, norm, eps, 0, 1, null);
      Attacks.Outcome b = Attacks.fgsm(dense, own, norm, eps, 0, 1, null);
      assertArrayEquals(b.fooled, a.fooled, norm + ": all rows");
      int fooled = 0;
      for (boolean f : a.fooled) {
        fooled += f ? 1 : 0;
      }
      assertTrue(fooled > 10 && fooled < 100, norm + ": the attack fools some rows, not all: " + fooled);
      // a selection reads its rows of the parent's pass (rows of the whole batch, not of the selection)
      int[] odd = new int[50];
      for (int i = 0; i < odd.length; i++) {
        odd[i] = 2 * i + 1;
      }
      Attacks.Outcome s = Attacks.fgsm(dense, kept.select(odd), norm, eps, 0, 1, null);
      Attacks.Outcome t = Attacks.fgsm(dense, kept.select(odd).select(new int[] {1, 3, 5}), norm, eps, 0, 1, null);
      for (int i = 0; i < odd.length; i++) {
        assertEquals(a.fooled[odd[i]], s.fooled[i], norm + ": selected row " + odd[i]);
      }
      assertEquals(a.fooled[7], t.fooled[1], norm + ": a selection of a selection");
    }
  }

  @Test
  void probeRunsReportTheSameRobustAccuracyWithTheKeptPass() {
    // the generic path (no kernel: nothing kept) against the dense path on the same network
    ProbeConfig cfg = ProbeConfig.defaults().withSamples(ROWS).withBatchSize(ROWS).withNoiseSigmas(List.of())
        .withCertifiedEps(List.of()).withMinPerturbation(null)
        .withAttacks(List.of(AttackSpec.fgsm(Norm.LINF, 0.05), AttackSpec.fgsm(Norm.L2, 0.6)));
    ProbeResult dense = ProbeRunner.run(DenseClassifier.tryOf(NET), SET, cfg, null);
    Classifier dl4j = ProbeRunner.classifierFor(NET, SET, false, new ArrayList<>());
    assertTrue(dl4j instanceof Dl4jClassifier);
    ProbeResult generic = ProbeRunner.run(dl4j, SET, cfg, null);
    for (int i = 0; i < 2; i++) {
      assertEquals(generic.probes().attacks().get(i).robustAccuracy(), dense.probes().attacks().get(i).robustAccuracy(),
          1.5 / ROWS, "at most one row apart (float rounding of two paths)");
    }
  }
}
