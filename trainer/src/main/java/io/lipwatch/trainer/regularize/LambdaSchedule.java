package io.lipwatch.trainer.regularize;

/**
 * When and how the discrepancy principle moves the regularisation weight (λ, µ or C) towards the target accuracy α.
 *
 * <p>Per epoch (window 0): after the warm-up, every {@code everyEpochs} epochs the weight moves by ± the step on the
 * epoch's running train accuracy (the paper: 5 warm-up epochs, every 2nd epoch, over 100 epochs). Per window
 * (window &gt; 0): after the warm-up epochs, every {@code window} minibatches the weight is multiplied or divided by the
 * factor raised to the accuracy error over the band (clamped to ±1), and the factor shrinks to its square root
 * whenever the direction flips. The running accuracy answers a change of the weight only a few windows later, so the
 * error is taken on the accuracy extrapolated {@code trend} windows ahead from the last two windows, and far from the
 * target the weight moves by the whole factor, near it by a fraction: a chain of full steps taken before the accuracy
 * could respond is what overshot (measured: λ 1 → 0.002 in one epoch, then back to 0.7; trainer/CLIP.md, "The λ
 * schedule").
 *
 * @param warmupEpochs epochs at the initial weight
 * @param everyEpochs  per-epoch schedule: epochs between two moves
 * @param window       per-window schedule: minibatches per move (0: per-epoch schedule)
 * @param factor       per-window schedule: initial multiplicative step (&gt; 1)
 * @param band         per-window schedule: accuracy error (fraction) at which the whole factor applies; smaller errors
 *                     move by factor^(error/band) (0: always the whole factor, the schedule before the band existed)
 * @param trend        per-window schedule: windows the accuracy is extrapolated ahead from its last change (0: the
 *                     window's accuracy as measured)
 */
public record LambdaSchedule(int warmupEpochs, int everyEpochs, int window, double factor, double band, double trend) {
  /** Every epoch, no warm-up, additive (the behaviour before schedules existed). */
  public static final LambdaSchedule EVERY_EPOCH = new LambdaSchedule(0, 1, 0, 2);
  /** The CLIP paper's: 5 warm-up epochs, then every 2nd epoch, additive. */
  public static final LambdaSchedule PAPER = new LambdaSchedule(5, 2, 0, 2);
  /** Accuracy error at which the per-window schedule takes its whole factor (3 points). */
  public static final double DEFAULT_BAND = 0.03;
  /** The per-window schedule judges the accuracy one window ahead. */
  public static final double DEFAULT_TREND = 1;
  /**
   * CLIP's default (measured, trainer/CLIP.md): one warm-up epoch, then every 50 minibatches ×/÷ up to 1.5 (shrinking
   * at each flip), proportional to the error within 3 points, on the accuracy extrapolated one window ahead.
   */
  public static final LambdaSchedule CLIP_DEFAULT = windowed(1, 50, 1.5);
  /** Smallest factor the per-window schedule shrinks to. */
  static final double MIN_FACTOR = 1.05;

  public LambdaSchedule {
    if (warmupEpochs < 0 || everyEpochs < 1 || window < 0 || !(factor > 1) || Double.isInfinite(factor)
        || !(band >= 0) || band > 1 || !(trend >= 0) || Double.isInfinite(trend)) {
      throw new IllegalArgumentException(
          "λ schedule: warm-up ≥ 0, every ≥ 1 epoch, window ≥ 0, factor > 1, band in [0, 1], trend ≥ 0");
    }
  }

  /** With the default band and trend. */
  public LambdaSchedule(int warmupEpochs, int everyEpochs, int window, double factor) {
    this(warmupEpochs, everyEpochs, window, factor, DEFAULT_BAND, DEFAULT_TREND);
  }

  /** Per window of minibatches after {@code warmupEpochs}, default band. */
  public static LambdaSchedule windowed(int warmupEpochs, int window, double factor) {
    return new LambdaSchedule(warmupEpochs, 1, window, factor);
  }

  /** The same with another band (0: whole factor at every move) and trend (0: the accuracy as measured). */
  public LambdaSchedule withBandAndTrend(double b, double t) {
    return new LambdaSchedule(warmupEpochs, everyEpochs, window, factor, b, t);
  }

  public boolean perWindow() {
    return window > 0;
  }

  /** Whether the per-epoch schedule moves the weight after epoch {@code epochsDone} (1-based) ends. */
  public boolean movesAfterEpoch(int epochsDone) {
    return !perWindow() && epochsDone > warmupEpochs && (epochsDone - warmupEpochs) % everyEpochs == 0;
  }

  public String describe() {
    return perWindow()
        ? String.format(java.util.Locale.ROOT, "×/÷ %.3g (band %.3g, trend %.3g) every %d minibatches after %d warm-up "
            + "epochs", factor, band, trend, window, warmupEpochs)
        : String.format(java.util.Locale.ROOT, "± step every %d epochs after %d warm-up epochs", everyEpochs, warmupEpochs);
  }
}
