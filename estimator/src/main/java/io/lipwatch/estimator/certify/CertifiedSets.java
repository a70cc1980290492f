package io.lipwatch.estimator.certify;

import java.util.List;

/**
 * What {@link Certifier#run} returns: per radius, which samples each method certifies (indexed like the inputs), the
 * pairwise bounds used, warnings for the estimate, and times.
 *
 * @param perEps        one entry per radius, in the order asked
 * @param pairwise      the class-pair bounds (null when there was no network to bound)
 * @param warnings      what was skipped and why (budget, inapplicable network)
 * @param localSamples  samples the local certificate reached before its budget ended (the rest keep the pairwise result)
 * @param pairwiseSeconds time of the pairwise bounds
 * @param localSeconds  time of the local certificates
 */
public record CertifiedSets(List<PerEps> perEps, PairwiseBounds pairwise, List<String> warnings, int localSamples,
    double pairwiseSeconds, double localSeconds) {

  /** The certified samples of one radius by each method; a local certificate implies a pairwise one implies a global one. */
  public record PerEps(double eps, boolean[] global, boolean[] pairwise, boolean[] local) {
    public boolean[] of(Method m) {
      return switch (m) {
        case GLOBAL -> global;
        case PAIRWISE -> pairwise;
        case LOCAL -> local;
      };
    }
  }

  /** The {@code method} of a certified entry in the estimate. */
  public enum Method {
    /** margin > √2·L·ε with L the best sound bound of the logit map. */
    GLOBAL,
    /** z_y − z_j > L_{y,j}·ε for every j ≠ y, L_{y,j} a bound of that margin alone. */
    PAIRWISE,
    /** the same with bounds that hold on the ball B(x, ε) only. */
    LOCAL;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public static double fraction(boolean[] b) {
    int k = 0;
    for (boolean v : b) {
      k += v ? 1 : 0;
    }
    return b.length == 0 ? 0 : (double) k / b.length;
  }
}
