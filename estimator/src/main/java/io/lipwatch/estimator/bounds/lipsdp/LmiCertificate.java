package io.lipwatch.estimator.bounds.lipsdp;

/**
 * Our own check that S(ρ, T) ⪰ 0 for given numbers, independent of the solver, in double precision with rounding
 * accounted for:
 *
 * <ol>
 *   <li>S is assembled in floating point together with the sums of absolute values of its terms; each entry is off
 *       by at most γ_K·abs_ij (K = terms per entry + factors, γ_K = Kε/(1−Kε), ε = 2⁻⁵³), so the assembled matrix
 *       differs from the exact S by at most e_S = γ_K·max_i Σ_j abs_ij in spectral norm (∞-norm bound);</li>
 *   <li>a Cholesky factorisation of fl(S − σI) is attempted with σ = e_S + 2·γ_{n+1}/(1 − 2γ_{n+1})·tr⁺(S) + tiny,
 *       the a-posteriori criterion of Rump ("Verification of positive definiteness", BIT 2006) with a safety factor
 *       of 2: if it runs to completion, the computed S is positive definite with margin ≥ e_S, hence the exact S
 *       is positive semidefinite.</li>
 * </ol>
 *
 * The weights, ρ and T are taken as the exact doubles given; nothing else is assumed.
 */
public final class LmiCertificate {
  private static final double U = Math.ulp(1.0) / 2; // unit roundoff 2^-53

  private LmiCertificate() {}

  /** Outcome of one check: passed, the shift σ used, and the index of the first failing pivot (−1 if passed). */
  public record Check(boolean passed, double shift, int failedPivot) {}

  static double gamma(int k) {
    double ku = k * U;
    return ku / (1 - ku);
  }

  /** Checks S(ρ, mult) ⪰ 0 for the problem's own (possibly scaled) weights. */
  static Check check(LipSdpProblem prob, double rho, double[] mult) {
    int n = prob.dim;
    double[] abs = new double[n * n];
    double[] s = prob.lmi(rho, mult, abs);
    return checkPsd(s, abs, n, prob.maxTermsPerEntry() + 6);
  }

  /**
   * Certifies that the exact symmetric matrix S* with |S* − s|_ij ≤ γ_K·abs_ij is positive semidefinite. Destroys s.
   * (Also ECLipsE-Fast's check of its per-neuron multipliers on small networks.)
   */
  public static Check checkPsd(double[] s, double[] abs, int n, int termsK) {
    for (double v : s) {
      if (!Double.isFinite(v)) {
        return new Check(false, Double.NaN, 0);
      }
    }
    double gk = gamma(termsK);
    double rowMax = 0;
    double tracePos = 0;
    double diagMax = 0;
    for (int i = 0; i < n; i++) {
      double r = 0;
      for (int j = 0; j < n; j++) {
        r += abs[i * n + j];
      }
      rowMax = Math.max(rowMax, r);
      double d = s[i * n + i];
      tracePos += Math.max(d, 0);
      diagMax = Math.max(diagMax, Math.abs(d));
    }
    double errS = gk * rowMax * (1 + 4 * U * n); // the row sums themselves are rounded
    double gn = gamma(n + 1);
    double chol = 2 * gn / (1 - 2 * gn) * tracePos * (1 + 4 * U * n);
    double underflow = 8 * n * (2 * n + diagMax) * Double.MIN_VALUE;
    double shift = (errS + chol + underflow) * (1 + 8 * U);
    for (int i = 0; i < n; i++) {
      s[i * n + i] -= shift;
    }
    int failed = cholesky(s, n);
    return new Check(failed < 0, shift, failed);
  }

  /**
   * In-place lower Cholesky (row-major); returns −1 on success, else the index of the first non-positive pivot. The
   * one Cholesky of the certificates (LipSDP here, per-layer norms in {@code NormCertificate}, the ECLipsE-Fast
   * Schur complements in {@code EclipseFastBound}).
   */
  public static int cholesky(double[] a, int n) {
    for (int j = 0; j < n; j++) {
      int rj = j * n;
      double d = a[rj + j];
      for (int k = 0; k < j; k++) {
        d -= a[rj + k] * a[rj + k];
      }
      if (!(d > 0) || !Double.isFinite(d)) {
        return j;
      }
      double ljj = Math.sqrt(d);
      a[rj + j] = ljj;
      for (int i = j + 1; i < n; i++) {
        int ri = i * n;
        double v = a[ri + j];
        for (int k = 0; k < j; k++) {
          v -= a[ri + k] * a[rj + k];
        }
        a[ri + j] = v / ljj;
      }
    }
    return -1;
  }
}
