package io.lipwatch.estimator.linalg;

import java.util.Random;

/**
 * The largest eigenvalue of a symmetric matrix by Lanczos with full reorthogonalisation: a handful of matrix–vector
 * products instead of a full decomposition. The Ritz value approaches λ_max from below; it is an estimate, which
 * {@link NormCertificate} then proves or refuses.
 */
final class Lanczos {
  /** Cap on Lanczos steps (the top Ritz value of a random start settles to rounding in far fewer). */
  static final int MAX_STEPS = 160;
  /** Consecutive steps whose Ritz value moved by at most this (relative) end the run. */
  static final double SETTLED = 1e-15;

  private Lanczos() {}

  /** λ_max of the symmetric n×n matrix {@code g} (row-major, both triangles), from a start seeded by {@code seed}. */
  static double largest(double[] g, int n, long seed) {
    if (n == 0) {
      return 0;
    }
    if (n == 1) {
      return g[0];
    }
    int kmax = Math.min(n, MAX_STEPS);
    double[][] q = new double[kmax + 1][];
    double[] alpha = new double[kmax];
    double[] beta = new double[kmax];
    Random r = new Random(seed);
    q[0] = unitRandom(r, n, q, 0);
    double[] w = new double[n];
    double theta = Double.NEGATIVE_INFINITY;
    int settled = 0;
    for (int j = 0; j < kmax; j++) {
      multiply(g, n, q[j], w);
      alpha[j] = dot(q[j], w, n);
      // full reorthogonalisation, twice (Kahan's "twice is enough"): subtracts the α and β terms as well
      for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i <= j; i++) {
          double c = dot(q[i], w, n);
          axpy(-c, q[i], w, n);
        }
      }
      double next = largestTridiagonal(alpha, beta, j + 1);
      if (j > 0 && Math.abs(next - theta) <= SETTLED * Math.abs(next)) {
        settled++;
      } else {
        settled = 0;
      }
      theta = next;
      if (settled >= 2 || j == kmax - 1) {
        break;
      }
      double b = Math.sqrt(dot(w, w, n));
      if (!Double.isFinite(b)) {
        return Double.NaN;
      }
      if (b <= 1e-12 * Math.max(Math.abs(theta), Double.MIN_NORMAL)) {
        // an invariant subspace: continue from a fresh direction orthogonal to it (T gets a zero coupling)
        beta[j] = 0;
        q[j + 1] = unitRandom(r, n, q, j + 1);
      } else {
        beta[j] = b;
        double inv = 1 / b;
        double[] nq = new double[n];
        for (int i = 0; i < n; i++) {
          nq[i] = w[i] * inv;
        }
        q[j + 1] = nq;
      }
    }
    return theta;
  }

  /** A random unit vector orthogonal to q[0..k). */
  private static double[] unitRandom(Random r, int n, double[][] q, int k) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextGaussian();
    }
    for (int pass = 0; pass < 2; pass++) {
      for (int i = 0; i < k; i++) {
        axpy(-dot(q[i], v, n), q[i], v, n);
      }
    }
    double nv = Math.sqrt(dot(v, v, n));
    for (int i = 0; i < n; i++) {
      v[i] /= nv;
    }
    return v;
  }

  /** The largest eigenvalue of the k×k symmetric tridiagonal (alpha, beta[0..k-1)) by Sturm-count bisection. */
  static double largestTridiagonal(double[] alpha, double[] beta, int k) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < k; i++) {
      double rad = (i > 0 ? Math.abs(beta[i - 1]) : 0) + (i < k - 1 ? Math.abs(beta[i]) : 0);
      lo = Math.min(lo, alpha[i] - rad);
      hi = Math.max(hi, alpha[i] + rad);
    }
    double tiny = Double.MIN_NORMAL;
    for (int it = 0; it < 200 && hi - lo > 2 * Math.ulp(Math.max(Math.abs(lo), Math.abs(hi))); it++) {
      double x = 0.5 * (lo + hi);
      // eigenvalues below x: the negative pivots of T − xI
      int below = 0;
      double d = 1;
      for (int i = 0; i < k; i++) {
        double b2 = i > 0 ? beta[i - 1] * beta[i - 1] : 0;
        d = alpha[i] - x - (i > 0 ? b2 / d : 0);
        if (d == 0) {
          d = -tiny;
        }
        if (d < 0) {
          below++;
        }
      }
      if (below == k) {
        hi = x; // every eigenvalue is below x
      } else {
        lo = x;
      }
    }
    return hi;
  }

  private static void multiply(double[] g, int n, double[] x, double[] y) {
    DenseMatrix.multiply(g, n, n, x, y);
  }

  private static double dot(double[] a, double[] b, int n) {
    double s0 = 0;
    double s1 = 0;
    int i = 0;
    for (; i + 1 < n; i += 2) {
      s0 += a[i] * b[i];
      s1 += a[i + 1] * b[i + 1];
    }
    for (; i < n; i++) {
      s0 += a[i] * b[i];
    }
    return s0 + s1;
  }

  private static void axpy(double c, double[] x, double[] y, int n) {
    for (int i = 0; i < n; i++) {
      y[i] += c * x[i];
    }
  }
}
