package io.lipwatch.trainer.regularize;

/**
 * Settings of the regulariser and of its discrepancy principle.
 *
 * <p>Defaults, and why (the CLIP paper and its reference code differ; trainer/CLIP.md has the comparison):
 * <ul>
 *   <li>{@link Form#LIPSCHITZ}: the penalty is λ·L as the paper writes, not λ·L² as its code does. With L² the
 *       effective weight 2λL grows with L itself, which is unstable while L is large (their code has to skip the
 *       penalty when L² &gt; 5000); with L the discrepancy principle alone sets the strength.</li>
 *   <li>{@link Aggregate#MEAN} over the pairs instead of the single worst pair: with one backward pass for both the
 *       weight gradient of the penalty and the input gradients of the pair ascent (the ≤ 2× cost target), every pair
 *       gets its exact ascent gradient only when every pair enters the penalty. With {@link Aggregate#MAX} (paper's
 *       Lip and the code's choice) the penalty is exact too, but only the worst pair moves in that step.</li>
 *   <li>Pairs re-initialised from data every 2000 minibatches (their code): pairs that ascend for long drift to
 *       regions far from the data; re-anchoring keeps the penalty about the data distribution.</li>
 *   <li>Per-pair adaptive step ×1.3 on improvement, ÷1.3 and rejection otherwise (their code); the test of a step is
 *       the pair's ratio at the next minibatch's forward pass, so it costs no extra pass.</li>
 *   <li>Avoided slips of their code: the target accuracy is required here (no silent fallback to 0.9), dλ is non-zero
 *       by default (theirs is 0, so λ never moves), and the output layer is not squashed (bounds are of the logits).</li>
 * </ul>
 *
 * @param regularizer    what is penalised
 * @param weight         initial λ (CLIP), µ (weight decay) or C (LipBound)
 * @param step           dλ, dµ or dC of the discrepancy principle (0 keeps the weight fixed)
 * @param targetAccuracy α: after each epoch, train accuracy &gt; α raises the weight, otherwise lowers it (NaN: fixed)
 * @param pairs          CLIP pairs (x, x′); at most half the minibatch keeps an epoch under 2× a plain one
 * @param form           λ·L or λ·L²
 * @param aggregate      mean over the pairs or the worst pair
 * @param resetEvery     re-initialise the pairs every N minibatches (0: never)
 * @param adaptiveStep   per-pair step ×1.3 / ÷1.3 with rejection (false: fixed relative step)
 * @param ascentStep     initial ascent step, relative to the pair's distance ‖x − x′‖
 * @param initNoise      x′ = x + U[0,1)·initNoise at (re)initialisation (their code: 0.1)
 * @param lipBoundGrid   LipBound: S of the S×S frequency grid the penalty is maximised on (their training: 10)
 * @param tracking       CLIP: how the pairs follow the Lipschitz constant ({@link ClipTracking#OFF}: the reference code's)
 * @param schedule       when the discrepancy principle moves the weight
 */
public record Regularization(Regularizer regularizer, double weight, double step, double targetAccuracy, int pairs,
    Form form, Aggregate aggregate, int resetEvery, boolean adaptiveStep, double ascentStep, double initNoise,
    int lipBoundGrid, ClipTracking tracking, LambdaSchedule schedule) {

  /** λ·L (paper) or λ·L² (reference code). */
  public enum Form { LIPSCHITZ, SQUARED }

  /** Mean of the pair ratios, the single worst pair, or the mean of the worst eighth of the pairs. */
  public enum Aggregate { MEAN, MAX, TOP;

    /** How many pairs of P enter the aggregate. */
    public int count(int p) {
      return switch (this) {
        case MEAN -> p;
        case MAX -> 1;
        case TOP -> Math.max(1, p / 8);
      };
    }
  }

  public Regularization {
    if (regularizer == null || form == null || aggregate == null) {
      throw new IllegalArgumentException("regularizer, form and aggregate are required");
    }
    if (!(weight >= 0) || !(step >= 0) || Double.isInfinite(weight) || Double.isInfinite(step)) {
      throw new IllegalArgumentException("regularisation weight and its step must be finite and ≥ 0");
    }
    if (!Double.isNaN(targetAccuracy) && (targetAccuracy < 0 || targetAccuracy > 1)) {
      throw new IllegalArgumentException("target accuracy must be in [0, 1], got " + targetAccuracy);
    }
    if (regularizer == Regularizer.CLIP && pairs < 1) {
      throw new IllegalArgumentException("CLIP needs at least one pair");
    }
    if (resetEvery < 0 || !(ascentStep > 0) || !(initNoise > 0)) {
      throw new IllegalArgumentException("reset interval ≥ 0, ascent step and init noise > 0");
    }
    if (lipBoundGrid < 2) {
      throw new IllegalArgumentException("LipBound grid must be at least 2×2, got " + lipBoundGrid);
    }
    tracking = tracking == null ? ClipTracking.OFF : tracking;
    schedule = schedule == null ? LambdaSchedule.EVERY_EPOCH : schedule;
  }

  /** Pairs as in the reference code, weight moved after every epoch. */
  public Regularization(Regularizer regularizer, double weight, double step, double targetAccuracy, int pairs,
      Form form, Aggregate aggregate, int resetEvery, boolean adaptiveStep, double ascentStep, double initNoise,
      int lipBoundGrid) {
    this(regularizer, weight, step, targetAccuracy, pairs, form, aggregate, resetEvery, adaptiveStep, ascentStep, initNoise,
        lipBoundGrid, ClipTracking.OFF, LambdaSchedule.EVERY_EPOCH);
  }

  /** Without a LipBound grid (the default S = 10 applies). */
  public Regularization(Regularizer regularizer, double weight, double step, double targetAccuracy, int pairs,
      Form form, Aggregate aggregate, int resetEvery, boolean adaptiveStep, double ascentStep, double initNoise) {
    this(regularizer, weight, step, targetAccuracy, pairs, form, aggregate, resetEvery, adaptiveStep, ascentStep, initNoise,
        LipBoundPenalty.DEFAULT_GRID);
  }

  public static Regularization none() {
    return new Regularization(Regularizer.NONE, 0, 0, Double.NaN, 0, Form.LIPSCHITZ, Aggregate.MEAN, 2000, true, 0.1, 0.1);
  }

  /** CLIP with the documented defaults. */
  public static Regularization clip(double lambda, double dLambda, double target, int pairs) {
    return new Regularization(Regularizer.CLIP, lambda, dLambda, target, pairs, Form.LIPSCHITZ, Aggregate.MEAN, 2000,
        true, 0.1, 0.1);
  }

  /**
   * CLIP with lipwatch's measured defaults: pairs that track the Lipschitz constant ({@link ClipTracking#DEFAULT}),
   * the mean of the worst eighth of the pairs, λ moved per window of minibatches ({@link LambdaSchedule#CLIP_DEFAULT}).
   */
  public static Regularization trackingClip(double lambda, double target, int pairs) {
    return clip(lambda, lambda / 2, target, pairs).withAggregate(Aggregate.TOP).withTracking(ClipTracking.DEFAULT)
        .withSchedule(LambdaSchedule.CLIP_DEFAULT);
  }

  public static Regularization weightDecay(double mu, double dMu, double target) {
    return new Regularization(Regularizer.WEIGHT_DECAY, mu, dMu, target, 0, Form.LIPSCHITZ, Aggregate.MEAN, 2000, true,
        0.1, 0.1);
  }

  /** ADMM-LipSDP; the weight is the W̄-step's µ (penalise mode), not moved by a discrepancy principle. */
  public static Regularization admmLipSdp(double mu) {
    return new Regularization(Regularizer.ADMM_LIPSDP, mu, 0, Double.NaN, 0, Form.LIPSCHITZ, Aggregate.MEAN, 0, true,
        0.1, 0.1);
  }

  /**
   * LipBound (Araujo et al. 2021): C·Σ log LipBound over the convolution kernels on a 10×10 grid; C moved by the
   * discrepancy principle like µ. Their CIFAR-10 runs use C = 0.008.
   */
  public static Regularization lipBound(double c, double dC, double target) {
    return new Regularization(Regularizer.LIPBOUND, c, dC, target, 0, Form.LIPSCHITZ, Aggregate.MEAN, 2000, true, 0.1, 0.1,
        LipBoundPenalty.DEFAULT_GRID);
  }

  /** The same with another LipBound grid S. */
  public Regularization withLipBoundGrid(int s) {
    return new Regularization(regularizer, weight, step, targetAccuracy, pairs, form, aggregate, resetEvery, adaptiveStep,
        ascentStep, initNoise, s, tracking, schedule);
  }

  /** The same with another step of the discrepancy principle (0 keeps the weight fixed). */
  public Regularization withStep(double s) {
    return new Regularization(regularizer, weight, s, targetAccuracy, pairs, form, aggregate, resetEvery, adaptiveStep,
        ascentStep, initNoise, lipBoundGrid, tracking, schedule);
  }

  public Regularization withForm(Form f) {
    return new Regularization(regularizer, weight, step, targetAccuracy, pairs, f, aggregate, resetEvery, adaptiveStep,
        ascentStep, initNoise, lipBoundGrid, tracking, schedule);
  }

  public Regularization withAggregate(Aggregate a) {
    return new Regularization(regularizer, weight, step, targetAccuracy, pairs, form, a, resetEvery, adaptiveStep,
        ascentStep, initNoise, lipBoundGrid, tracking, schedule);
  }

  public Regularization withResetEvery(int n) {
    return new Regularization(regularizer, weight, step, targetAccuracy, pairs, form, aggregate, n, adaptiveStep,
        ascentStep, initNoise, lipBoundGrid, tracking, schedule);
  }

  public Regularization withAdaptiveStep(boolean a) {
    return new Regularization(regularizer, weight, step, targetAccuracy, pairs, form, aggregate, resetEvery, a,
        ascentStep, initNoise, lipBoundGrid, tracking, schedule);
  }

  public Regularization withTracking(ClipTracking t) {
    return new Regularization(regularizer, weight, step, targetAccuracy, pairs, form, aggregate, resetEvery, adaptiveStep,
        ascentStep, initNoise, lipBoundGrid, t, schedule);
  }

  public Regularization withSchedule(LambdaSchedule s) {
    return new Regularization(regularizer, weight, step, targetAccuracy, pairs, form, aggregate, resetEvery, adaptiveStep,
        ascentStep, initNoise, lipBoundGrid, tracking, s);
  }

  public Regularization withInitNoise(double n) {
    return new Regularization(regularizer, weight, step, targetAccuracy, pairs, form, aggregate, resetEvery, adaptiveStep,
        ascentStep, n, lipBoundGrid, tracking, schedule);
  }

  public Regularization withWeight(double w) {
    return new Regularization(regularizer, w, step, targetAccuracy, pairs, form, aggregate, resetEvery, adaptiveStep,
        ascentStep, initNoise, lipBoundGrid, tracking, schedule);
  }

  /**
   * The discrepancy principle: accuracy above the target → weight + step, otherwise weight − step, never below 0.
   * A NaN target or accuracy keeps the weight.
   */
  public static double discrepancy(double weight, double accuracy, double target, double step) {
    if (Double.isNaN(target) || Double.isNaN(accuracy)) {
      return weight;
    }
    return accuracy > target ? weight + step : Math.max(0, weight - step);
  }
}
