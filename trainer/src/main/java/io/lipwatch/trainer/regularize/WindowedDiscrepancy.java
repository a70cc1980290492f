package io.lipwatch.trainer.regularize;

/**
 * The per-window discrepancy principle of {@link LambdaSchedule#perWindow()}: the weight is multiplied by
 * factor^clamp(e/band, −1, 1) with e = â − target (up when above the target, down otherwise), where
 * â = a + trend·(a − a_previous) is the window's accuracy a extrapolated from its last change; the factor shrinks to
 * its square root (not below {@link LambdaSchedule#MIN_FACTOR}) at every change of direction, so the weight brackets
 * its level and settles. Why band and trend: the running accuracy answers a change of the weight a few windows late,
 * and whole steps on the lagging accuracy overshoot (measured: 1 → 0.002 in one epoch of 9 whole halvings, then back up).
 */
final class WindowedDiscrepancy {
  private double factor;
  private final double band;
  private final double trend;
  private int lastDirection;
  private double previous = Double.NaN;

  WindowedDiscrepancy(double factor, double band, double trend) {
    this.factor = factor;
    this.band = band;
    this.trend = trend;
  }

  /** Whole factor at every move on the accuracy as measured (the schedule before band and trend). */
  WindowedDiscrepancy(double factor) {
    this(factor, 0, 0);
  }

  /**
   * @param restart the weight a step up starts from when the weight is 0 (e.g. the additive step)
   */
  double next(double weight, double accuracy, double target, double restart) {
    if (Double.isNaN(target) || Double.isNaN(accuracy)) {
      return weight;
    }
    double ahead = Double.isNaN(previous) ? accuracy : accuracy + trend * (accuracy - previous);
    previous = accuracy;
    double error = ahead - target;
    int dir = error > 0 ? 1 : -1;
    if (lastDirection != 0 && dir != lastDirection) {
      factor = Math.max(LambdaSchedule.MIN_FACTOR, Math.sqrt(factor));
    }
    lastDirection = dir;
    double exponent = band > 0 ? Math.max(-1, Math.min(1, error / band)) : dir;
    double step = Math.pow(factor, Math.abs(exponent));
    // the restart only lifts a weight of 0 (a multiplicative step cannot): taking max(weight, restart) turned a
    // measured λ of 0.002 into 0.71 in one move
    return dir > 0 ? (weight > 0 ? weight : restart) * step : weight / step;
  }

  double factor() {
    return factor;
  }
}
