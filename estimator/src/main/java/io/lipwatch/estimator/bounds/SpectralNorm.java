package io.lipwatch.estimator.bounds;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Spectral norms of dense matrices: exact (LAPACK SVD, with a rounding allowance so it is an upper bound) and power iteration. */
public final class SpectralNorm {
  private static final double EPS = Math.ulp(1.0);

  private SpectralNorm() {}

  /**
   * The largest singular value from a double-precision LAPACK SVD, inflated by 64·max(m,n)·ε relative: dgesvd is
   * backward stable (the computed values are exact for A+E with ‖E‖ ≤ p(m,n)·ε·‖A‖), so the result is an upper bound
   * of ‖A‖₂.
   */
  public static double exactUpper(DenseMatrix a) {
    if (a.rows() == 0 || a.cols() == 0) {
      return 0.0;
    }
    INDArray m = a.toNd4j();
    long k = Math.min(a.rows(), a.cols());
    INDArray s = Nd4j.create(DataType.DOUBLE, k);
    Nd4j.getBlasWrapper().lapack().gesvd(m, s, null, null);
    double sigma = s.getDouble(0);
    for (int i = 1; i < k; i++) {
      sigma = Math.max(sigma, s.getDouble(i));
    }
    return sigma * (1.0 + 64.0 * Math.max(a.rows(), a.cols()) * EPS);
  }

  /** Result of a power iteration: the estimate (a lower bound up to rounding), the right singular vector, iterations. */
  public record PowerResult(double sigma, double[] vector, int iterations, boolean converged) {}

  /**
   * Power iteration on AᵀA from {@code start} (or a seeded random vector), stopping when the estimate changes by less
   * than {@code tol} relative or after {@code maxIter}. Converges from below: an estimate, not a bound.
   */
  public static PowerResult power(DenseMatrix a, double[] start, int maxIter, double tol, long seed) {
    int n = a.cols();
    double[] v = new double[n];
    if (start != null && start.length == n && norm(start) > 0) {
      System.arraycopy(start, 0, v, 0, n);
    } else {
      Random r = new Random(seed);
      for (int i = 0; i < n; i++) {
        v[i] = r.nextGaussian();
      }
    }
    scale(v, 1.0 / norm(v));
    double[] u = new double[a.rows()];
    double sigma = 0;
    int it = 0;
    boolean converged = false;
    while (it < maxIter) {
      it++;
      a.multiply(v, u);
      double s = norm(u);
      if (s == 0) {
        return new PowerResult(0, v, it, true);
      }
      // ‖Av‖ with ‖v‖ = 1 never exceeds σ_max: each iterate is itself a lower bound.
      double next = Math.max(sigma, s);
      a.multiplyTranspose(u, v);
      scale(v, 1.0 / norm(v));
      if (Math.abs(next - sigma) <= tol * next) {
        sigma = next;
        converged = true;
        break;
      }
      sigma = next;
    }
    return new PowerResult(sigma, v, it, converged);
  }

  static double norm(double[] v) {
    double s = 0;
    for (double d : v) {
      s += d * d;
    }
    return Math.sqrt(s);
  }

  static void scale(double[] v, double f) {
    for (int i = 0; i < v.length; i++) {
      v[i] *= f;
    }
  }
}
