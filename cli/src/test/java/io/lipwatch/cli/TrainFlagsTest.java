package io.lipwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.trainer.regularize.Regularization;
import io.lipwatch.trainer.regularize.Regularizer;
import org.junit.jupiter.api.Test;

/** The regulariser flags of {@code lipwatch train}: defaults, and no silent target fallback (their code's slip). */
class TrainFlagsTest {
  @Test
  void clipNeedsAnExplicitTargetUnlessTheWeightIsFixed() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> TrainCommand.regularization("clip", 0.1, null, null, 64, "lipschitz", "mean", 2000, true));
    assertTrue(e.getMessage().contains("--target-accuracy"), e.getMessage());
    Regularization fixed = TrainCommand.regularization("clip", 0.1, 0.0, null, 64, "lipschitz", "mean", 2000, true);
    assertEquals(0.1, fixed.weight(), 0);
    assertEquals(0, fixed.step(), 0);
  }

  @Test
  void flagsMapToTheRegularization() {
    Regularization r = TrainCommand.regularization("clip", null, null, 0.9, 32, "squared", "max", 0, false);
    assertEquals(Regularizer.CLIP, r.regularizer());
    assertEquals(1.0, r.weight(), 0, "default λ0");
    assertTrue(r.step() > 0, "dλ defaults to non-zero (their code's 0 never moves λ)");
    assertEquals(Regularization.Form.SQUARED, r.form());
    assertEquals(Regularization.Aggregate.MAX, r.aggregate());
    assertEquals(0, r.resetEvery());
    assertEquals(false, r.adaptiveStep());
    assertEquals(Regularizer.WEIGHT_DECAY,
        TrainCommand.regularization("weight-decay", null, null, 0.9, 0, "lipschitz", "mean", 2000, true).regularizer());
    assertEquals(Regularizer.NONE, TrainCommand.regularization("none", null, null, null, 64, "lipschitz", "mean", 2000, true).regularizer());
    Regularization admm = TrainCommand.regularization("admm-lipsdp", null, null, null, 64, "lipschitz", "mean", 2000, true);
    assertEquals(Regularizer.ADMM_LIPSDP, admm.regularizer());
    assertEquals(0.02, admm.weight(), 0, "default µ");
    assertEquals(0, admm.step(), 0, "no discrepancy principle on µ");
  }

  @Test
  void lipBoundDefaultsToThePapersC() {
    Regularization r = TrainCommand.regularization("lipbound", null, null, 0.9, 64, "lipschitz", "mean", 2000, true);
    assertEquals(Regularizer.LIPBOUND, r.regularizer());
    assertEquals(0.008, r.weight(), 0, "C of Araujo et al.");
    assertEquals(0.004, r.step(), 0);
    assertEquals(0.9, r.targetAccuracy(), 0);
    assertEquals(10, r.lipBoundGrid());
    var e = assertThrows(IllegalArgumentException.class,
        () -> TrainCommand.regularization("lipbound", 0.01, null, null, 64, "lipschitz", "mean", 2000, true));
    assertTrue(e.getMessage().contains("--target-accuracy"), e.getMessage());
  }
}
