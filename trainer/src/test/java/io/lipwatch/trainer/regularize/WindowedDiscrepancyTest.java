package io.lipwatch.trainer.regularize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The per-window λ schedule against a simulated training run: the window accuracy follows the accuracy that λ allows
 * with a lag of a few windows, as measured on the full Fashion-MNIST MLP (trainer/CLIP.md, "The λ schedule"). Pure
 * arithmetic, fixed seed: milliseconds.
 */
class WindowedDiscrepancyTest {
  static final double TARGET = 0.85;
  /** Windows of 50 minibatches per epoch of 60 000 samples at batch 128. */
  static final int WINDOWS_PER_EPOCH = 9;

  /**
   * Accuracy the model settles at under λ: 0.89 without penalty, 4 points lower per doubling of 1 + λ/0.1, so the
   * target is met at λ* = 0.1 and λ = 1 (the warm-up's) gives 0.75 — the levels of the measured run.
   */
  static double equilibrium(double lambda) {
    return 0.89 - 0.04 * Math.log(1 + lambda / 0.1) / Math.log(2);
  }

  static final double LAMBDA_STAR = 0.1;

  /** λ after each window of a simulated run from λ0 = 1 after the warm-up; the accuracy lags by ~3 windows. */
  static List<Double> simulate(WindowedDiscrepancy w, long seed, int windows) {
    Random rnd = new Random(seed);
    double lambda = 1;
    double acc = equilibrium(lambda);
    List<Double> out = new ArrayList<>();
    for (int t = 0; t < windows; t++) {
      double measured = acc + 0.0045 * rnd.nextGaussian(); // binomial noise of 6400 samples at 0.85
      lambda = w.next(lambda, measured, TARGET, 0.5);
      acc += 0.3 * (equilibrium(lambda) - acc);
      out.add(lambda);
    }
    return out;
  }

  static double range(List<Double> l) {
    return l.stream().mapToDouble(d -> d).max().orElseThrow() / l.stream().mapToDouble(d -> d).min().orElseThrow();
  }

  @Test
  void settlesWithinThreeEpochsOfALaggingAccuracy() {
    for (long seed = 1; seed <= 5; seed++) {
      LambdaSchedule s = LambdaSchedule.CLIP_DEFAULT;
      // epochs 2 to 6 of training (epoch 1 is the warm-up at λ0 = 1)
      List<Double> l = simulate(new WindowedDiscrepancy(s.factor(), s.band(), s.trend()), seed, 5 * WINDOWS_PER_EPOCH);
      // settled: λ moves by less than ×2 within the third epoch and by less than ×1.5 within each later one (its value
      // at the start of the epoch included) ...
      for (int k = 1; k < 5; k++) {
        List<Double> epoch = l.subList(k * WINDOWS_PER_EPOCH - 1, (k + 1) * WINDOWS_PER_EPOCH);
        assertTrue(range(epoch) < (k == 1 ? 2 : 1.5), "seed " + seed + ", epoch " + (k + 2) + ": λ range ×" + range(epoch)
            + " " + epoch);
      }
      // ... and stays within ×2 of the level that meets the target
      double end = l.get(l.size() - 1);
      assertTrue(end > LAMBDA_STAR / 2 && end < LAMBDA_STAR * 2, "seed " + seed + ": final λ " + end);
      // never below a tenth of it on the way (the old schedule reached 1/500 of λ0 in one epoch)
      double min = l.stream().mapToDouble(d -> d).min().orElseThrow();
      assertTrue(min > LAMBDA_STAR / 10, "seed " + seed + ": λ fell to " + min);
    }
  }

  /** The same simulation catches the schedule before the band: whole halvings while the accuracy lags behind. */
  @Test
  void wholeStepsOvershootTheSameRun() {
    List<Double> l = simulate(new WindowedDiscrepancy(2), 1, 5 * WINDOWS_PER_EPOCH);
    double min = l.stream().mapToDouble(d -> d).min().orElseThrow();
    double epoch3 = range(l.subList(WINDOWS_PER_EPOCH - 1, 2 * WINDOWS_PER_EPOCH));
    assertTrue(min < LAMBDA_STAR / 10 && epoch3 > 2, "λ fell to " + min + ", epoch 3 range ×" + epoch3);
  }

  @Test
  void stepIsProportionalToTheErrorInsideTheBand() {
    WindowedDiscrepancy w = new WindowedDiscrepancy(2, 0.02, 0);
    assertEquals(Math.sqrt(2), w.next(1, 0.86, 0.85, 0.5), 1e-9, "1 point above, band 2 points: ×2^0.5");
    assertEquals(4 / Math.sqrt(2), w.next(4, 0.80, 0.85, 0.5), 1e-9, "5 points below after a move up: whole factor, now √2");
  }

  @Test
  void trendJudgesTheAccuracyOneWindowAhead() {
    WindowedDiscrepancy w = new WindowedDiscrepancy(2, 0.02, 1);
    assertEquals(0.5, w.next(1, 0.80, 0.85, 0.5), 1e-12, "first window: as measured, 5 points below → ÷2");
    // 0.84 after 0.80: one window ahead 0.88, 3 points above → whole step up, and the direction flipped (factor √2)
    assertEquals(0.5 * Math.sqrt(2), w.next(0.5, 0.84, 0.85, 0.5), 1e-12);
  }

  @Test
  void restartOnlyLiftsAZeroWeight() {
    WindowedDiscrepancy w = new WindowedDiscrepancy(2);
    assertEquals(0.004, w.next(0.002, 0.9, 0.85, 0.5), 1e-12, "a small λ doubles, it does not jump to the restart");
    assertEquals(Math.sqrt(2) * 0.5, new WindowedDiscrepancy(Math.sqrt(2)).next(0, 0.9, 0.85, 0.5), 1e-12);
  }
}
