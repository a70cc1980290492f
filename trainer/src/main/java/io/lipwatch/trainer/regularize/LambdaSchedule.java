package io.lipwatch.trainer.regularize;

/**
 * When and how the discrepancy principle moves the regularisation weight (λ, µ or C) towards the target accuracy α.
 *
 * <p>Per epoch (window 0): after the warm-up, every {@code everyEpochs} epochs the weight moves by ± the step on the
 * epoch's running train accuracy (the paper: 5 warm-up epochs, every 2nd epoch, over 100 epochs). Per window
 * (window &gt; 0): after the warm-up epochs, every {@code window} minibatches the weight is multiplied or divided by the
 * factor on the window's running accuracy, and the factor shrinks to its square root whenever the direction flips, so
 * the weight brackets its level geometrically and then settles, within an epoch or two rather than dozens.
 *
 * @param warmupEpochs epochs at the initial weight
 * @param everyEpochs  per-epoch schedule: epochs between two moves
 * @param window       per-window schedule: minibatches per move (0: per-epoch schedule)
 * @param factor       per-window schedule: initial multiplicative step (&gt; 1)
 */
public record LambdaSchedule(int warmupEpochs, int everyEpochs, int window, double factor) {
  /** Every epoch, no warm-up, additive (the behaviour before schedules existed). */
  public static final LambdaSchedule EVERY_EPOCH = new LambdaSchedule(0, 1, 0, 2);
  /** The CLIP paper's: 5 warm-up epochs, then every 2nd epoch, additive. */
  public static final LambdaSchedule PAPER = new LambdaSchedule(5, 2, 0, 2);
  /** CLIP's default (measured, trainer/CLIP.md): one warm-up epoch, then ×/÷ 2 (shrinking) every 50 minibatches. */
  public static final LambdaSchedule CLIP_DEFAULT = windowed(1, 50, 2);
  /** Smallest factor the per-window schedule shrinks to. */
  static final double MIN_FACTOR = 1.05;

  public LambdaSchedule {
    if (warmupEpochs < 0 || everyEpochs < 1 || window < 0 || !(factor > 1) || Double.isInfinite(factor)) {
      throw new IllegalArgumentException("λ schedule: warm-up ≥ 0, every ≥ 1 epoch, window ≥ 0, factor > 1");
    }
  }

  /** Per window of minibatches after {@code warmupEpochs}. */
  public static LambdaSchedule windowed(int warmupEpochs, int window, double factor) {
    return new LambdaSchedule(warmupEpochs, 1, window, factor);
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
        ? String.format(java.util.Locale.ROOT, "×/÷ %.3g every %d minibatches after %d warm-up epochs", factor, window, warmupEpochs)
        : String.format(java.util.Locale.ROOT, "± step every %d epochs after %d warm-up epochs", everyEpochs, warmupEpochs);
  }
}
