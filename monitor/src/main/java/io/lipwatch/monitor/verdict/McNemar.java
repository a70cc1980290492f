package io.lipwatch.monitor.verdict;

/**
 * McNemar's exact test of a drop between two versions probed on the same samples. Only the discordant samples carry
 * information: {@code lost} passed in the baseline and fail now, {@code gained} the reverse. If the versions are equally
 * good, each discordant sample is lost or gained with probability 1/2 whatever its own difficulty, so
 * {@code lost ~ Binomial(lost + gained, 1/2)} exactly; the one-sided p-value of a drop is {@code P(X ≥ lost)}.
 *
 * <p>Computed as a sum of binomial terms in log space (log-sum-exp), so thousands of discordant samples neither
 * underflow nor lose the small tail; no normal approximation (it is poor for the few discordant samples a stable model
 * gives: a dozen on 256 samples).
 */
public final class McNemar {
  /** The check's {@code test} when both versions' per-sample outcomes were compared. */
  public static final String EXACT = "mcnemar-exact";
  /** The check's {@code test} when only the accuracies were compared. */
  public static final String UNPAIRED = "unpaired";

  private static final double LN2 = Math.log(2);

  private McNemar() {}

  /** P(X ≥ lost) for X ~ Binomial(lost + gained, 1/2); 1 when there is no discordant sample. */
  public static double pValue(int lost, int gained) {
    if (lost < 0 || gained < 0) {
      throw new IllegalArgumentException("discordant counts must be ≥ 0: " + lost + ", " + gained);
    }
    int m = lost + gained;
    if (lost == 0) {
      return 1.0;
    }
    // log C(m, k) from k = lost upwards, by the ratio C(m, k+1) / C(m, k) = (m − k) / (k + 1)
    double logC = logChoose(m, lost);
    double max = logC;
    double[] terms = new double[m - lost + 1];
    for (int k = lost; k <= m; k++) {
      terms[k - lost] = logC;
      max = Math.max(max, logC);
      if (k < m) {
        logC += Math.log(m - k) - Math.log(k + 1);
      }
    }
    double sum = 0;
    for (double t : terms) {
      sum += Math.exp(t - max);
    }
    double logP = max + Math.log(sum) - m * LN2;
    return Math.min(1.0, Math.exp(logP));
  }

  /** log C(m, k) as a sum of logs (exact to rounding; m is at most the probe-set size). */
  static double logChoose(int m, int k) {
    int j = Math.min(k, m - k);
    double s = 0;
    for (int i = 1; i <= j; i++) {
      s += Math.log(m - j + i) - Math.log(i);
    }
    return s;
  }
}
