package io.lipwatch.monitor.verdict;

/**
 * When a paired accuracy drop (both versions' per-sample outcomes on the same samples) is more than sampling noise:
 * McNemar's one-sided exact p-value below α. Unpaired checks and the bound checks are not affected.
 *
 * @param alpha the significance level; null: the thresholds alone decide (p-values are still reported)
 * @param scope {@link #VERDICT}: α bounds the chance that noise alone makes a verdict WARN or FAIL (Holm's step-down
 *              over the verdict's distinct paired tests); {@link #CHECK}: each check at α on its own
 */
public record SignificancePolicy(Double alpha, String scope) {
  public static final String VERDICT = "verdict";
  public static final String CHECK = "check";

  public SignificancePolicy {
    if (alpha != null && !(alpha > 0 && alpha <= 1)) {
      throw new IllegalArgumentException("significance must be in (0, 1] or null, got " + alpha);
    }
    if (!VERDICT.equals(scope) && !CHECK.equals(scope)) {
      throw new IllegalArgumentException("significance scope must be '" + VERDICT + "' or '" + CHECK + "', got " + scope);
    }
  }

  /**
   * α = 0.01 per verdict. Measured on a stable model with noisy probes (PairedNoiseTest: 256 samples, each passing
   * with its own probability, τ = 0.5), α = 0.01 per check let 3.7 % of versions WARN (a verdict holds about ten
   * paired checks); per verdict, 0.55 %. At the demo's noise (τ = 0.12): 1.3 % and 0.16 %.
   */
  public static SignificancePolicy defaults() {
    return new SignificancePolicy(0.01, VERDICT);
  }

  public boolean perVerdict() {
    return VERDICT.equals(scope);
  }
}
