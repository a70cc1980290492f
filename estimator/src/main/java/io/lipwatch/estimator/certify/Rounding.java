package io.lipwatch.estimator.certify;

/**
 * Floating-point allowances of the certificates. A dot product of length n computed in double differs from the exact
 * one by at most γ_n·Σ|a_i||b_i| (γ_n = nu/(1−nu), u = 2⁻⁵³; Higham, §3.1); interval radii are widened by that, and
 * a sum of non-negative terms is raised by the same relative amount. Values of activations from the JDK's math library
 * are off by at most a few ulps: endpoints are widened by {@link #LIBM_ULPS} ulps.
 */
final class Rounding {
  static final double U = Math.ulp(1.0) / 2;
  static final int LIBM_ULPS = 4;

  private Rounding() {}

  static double gamma(long n) {
    double nu = (n + 2) * U;
    return nu / (1 - nu);
  }

  /** ‖v‖₂ rounded upward (each square and partial sum raised to the next double). */
  static double normUp(double[] v) {
    double s = 0;
    for (double e : v) {
      s = Math.nextUp(s + Math.nextUp(e * e));
    }
    return Math.nextUp(Math.sqrt(s));
  }

  /** ‖max(|lo|, |hi|)‖₂ rounded upward: the largest norm of any vector in the box [lo, hi]. */
  static double boxNormUp(double[] lo, double[] hi) {
    double s = 0;
    for (int i = 0; i < lo.length; i++) {
      double m = Math.max(Math.abs(lo[i]), Math.abs(hi[i]));
      s = Math.nextUp(s + Math.nextUp(m * m));
    }
    return Math.nextUp(Math.sqrt(s));
  }

  /** a·b rounded upward (non-negative factors). */
  static double mulUp(double a, double b) {
    return Math.nextUp(a * b);
  }

  static double down(double v) {
    return v - LIBM_ULPS * Math.ulp(v);
  }

  static double up(double v) {
    return v + LIBM_ULPS * Math.ulp(v);
  }
}
