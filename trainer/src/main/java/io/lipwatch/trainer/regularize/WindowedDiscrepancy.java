package io.lipwatch.trainer.regularize;

/**
 * The per-window discrepancy principle of {@link LambdaSchedule#perWindow()}: ×factor when the window's accuracy is
 * above the target, ÷factor otherwise; the factor shrinks to its square root (not below
 * {@link LambdaSchedule#MIN_FACTOR}) at every change of direction, so the weight brackets its level and settles.
 */
final class WindowedDiscrepancy {
  private double factor;
  private int lastDirection;

  WindowedDiscrepancy(double factor) {
    this.factor = factor;
  }

  /**
   * @param restart the weight a multiplicative step up starts from when the weight is 0 (e.g. the additive step)
   */
  double next(double weight, double accuracy, double target, double restart) {
    if (Double.isNaN(target) || Double.isNaN(accuracy)) {
      return weight;
    }
    int dir = accuracy > target ? 1 : -1;
    if (lastDirection != 0 && dir != lastDirection) {
      factor = Math.max(LambdaSchedule.MIN_FACTOR, Math.sqrt(factor));
    }
    lastDirection = dir;
    return dir > 0 ? Math.max(weight, restart) * factor : weight / factor;
  }

  double factor() {
    return factor;
  }
}
