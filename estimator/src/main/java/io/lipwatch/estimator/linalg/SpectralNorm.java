package io.lipwatch.estimator.linalg;

import io.lipwatch.estimator.bounds.SeqLip;

import java.util.Random;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.openblas.global.openblas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Spectral norms of linear operators: exact (LAPACK SVD, with a rounding allowance so it is an upper bound), Gram
 * iteration (a certified upper bound), and power iteration (a lower bound: an estimate of the norm).
 */
public final class SpectralNorm {
  private SpectralNorm() {}

  /**
   * A proven upper bound of ‖A‖₂ at the largest singular value: λ_max of the double Gram matrix of the smaller side by
   * Lanczos (no full SVD: the same value to rounding at a fraction of the cost), raised by the least relative step
   * (from 2⁻⁴⁰) that {@link NormCertificate} proves on that same Gram matrix (a verified Cholesky of s²I − AᵀA with its
   * rounding accounted for); LAPACK's SVD value is the fallback should the Lanczos value not be proven.
   */
  public static double exactUpper(DenseMatrix a) {
    if (a.rows() == 0 || a.cols() == 0) {
      return 0.0;
    }
    return NormCertificate.proveLargest(a).value();
  }

  /** The largest singular value as LAPACK computes it (an estimate, accurate to rounding). */
  public static double svdLargest(DenseMatrix a) {
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
    return sigma;
  }

  /** All singular values (descending), for tests and SeqLip. */
  public static double[] singularValues(DenseMatrix a) {
    INDArray m = a.toNd4j();
    long k = Math.min(a.rows(), a.cols());
    INDArray s = Nd4j.create(DataType.DOUBLE, k);
    Nd4j.getBlasWrapper().lapack().gesvd(m, s, null, null);
    double[] out = s.data().asDouble();
    java.util.Arrays.sort(out);
    for (int i = 0; i < out.length / 2; i++) {
      double t = out[i];
      out[i] = out[out.length - 1 - i];
      out[out.length - 1 - i] = t;
    }
    return out;
  }

  /**
   * Gram iteration (Delattre et al. 2023): with G₀ = AᵀA (or AAᵀ, the smaller), G_{t+1} = G_t², σ_max² = λ_max(G₀)
   * ≤ ‖G₀^(2^t)‖_F^(1/2^t) for every t — an upper bound at each step, tightening to σ_max. Each step is rescaled by its
   * Frobenius norm (the log of the scale is carried) so nothing overflows. The value is then proven (not assumed) by
   * {@link NormCertificate}: the least step above it that the verified Cholesky of s²I − AᵀA accepts.
   */
  public static double gramUpper(DenseMatrix a, int steps) {
    return gramUpper(a, steps, 0);
  }

  /**
   * As above; past the deadline (System.nanoTime, 0 = none) no further squaring starts: the bound of the last step
   * taken is still a bound. G₀ is the certificate's own (dsyrk), squared by OpenBLAS dgemm in two off-heap buffers.
   */
  public static double gramUpper(DenseMatrix a, int steps, long deadline) {
    if (a.rows() == 0 || a.cols() == 0) {
      return 0.0;
    }
    NormCertificate.Gram gr = NormCertificate.gram(a);
    int n = gr.n();
    int len = n * n;
    double logBound;
    try (DoublePointer g = new DoublePointer(gr.g()); DoublePointer h = new DoublePointer((long) len)) {
      double f = openblas.cblas_dnrm2(len, g, 1);
      if (f == 0) {
        return 0.0;
      }
      if (!Double.isFinite(f)) {
        return NormCertificate.frobeniusUp(a);
      }
      openblas.cblas_dscal(len, 1 / f, g, 1);
      logBound = Math.log(f); // log of c_t / 2^t, c_t the carried scale of G₀^(2^t)
      double pow = 1;
      DoublePointer cur = g;
      DoublePointer next = h;
      for (int t = 0; t < steps; t++) {
        if (deadline != 0 && System.nanoTime() > deadline) {
          break;
        }
        openblas.cblas_dgemm(openblas.CblasRowMajor, openblas.CblasNoTrans, openblas.CblasNoTrans, n, n, n, 1.0, cur, n,
            cur, n, 0.0, next, n);
        DoublePointer swap = cur;
        cur = next;
        next = swap;
        pow *= 2;
        double nn = openblas.cblas_dnrm2(len, cur, 1);
        if (nn == 0 || !Double.isFinite(nn)) {
          break;
        }
        openblas.cblas_dscal(len, 1 / nn, cur, 1);
        logBound += Math.log(nn) / pow;
      }
    }
    // λ_max(G₀) ≤ exp(logBound); σ_max = √λ_max (in exact arithmetic: the certificate makes it a proof)
    return NormCertificate.prove(a, gr, Math.exp(logBound / 2)).value();
  }

  /** Result of a power iteration: the estimate (a lower bound up to rounding), the right singular vector, iterations. */
  public record PowerResult(double sigma, double[] vector, int iterations, boolean converged) {}

  /** Double-precision iterations that end every power iteration on a dense matrix run in float32 first. */
  static final int DOUBLE_FINISH = 2;

  /**
   * Power iteration on AᵀA from {@code start} (or a seeded random vector), stopping when the estimate changes by less
   * than {@code tol} relative or after {@code maxIter}, or at the deadline (System.nanoTime; 0 = none). Converges from
   * below: an estimate, not a bound.
   *
   * <p>A dense matrix of at least {@link FloatPower#MIN_ENTRIES} entries runs its early iterations in float32 (OpenBLAS
   * sgemv on one float copy) until the float estimate settles, then at least {@link #DOUBLE_FINISH} iterations in
   * double from that vector; σ is taken from the double iterates only, so it is the same double-precision ‖Av‖ with
   * ‖v‖ = 1 as an all-double run (each a lower bound of σ_max up to rounding). A convolution large enough for it
   * ({@link ConvPower#pays}) runs every iteration in double, each apply one dgemm on im2col buffers ({@link ConvPower}):
   * the plain loops' iteration to rounding.
   */
  public static PowerResult power(LinearOperator a, double[] start, int maxIter, double tol, long seed, long deadline) {
    int n = a.inDim();
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
    int it = 0;
    if (a instanceof DenseMatrix d && d.macs() >= FloatPower.MIN_ENTRIES && maxIter > DOUBLE_FINISH) {
      try (FloatPower f = FloatPower.of(d)) {
        it = f.iterate(v, maxIter - DOUBLE_FINISH, Math.max(tol, FloatPower.FLOAT_TOL), deadline).iterations();
      }
    }
    if (a instanceof Conv2dOperator c && ConvPower.pays(c)) {
      // the same double iteration with each apply one dgemm on buffers kept across iterations (im2col)
      try (ConvPower g = ConvPower.of(c)) {
        return iterateDouble(g, v, it, maxIter, tol, deadline);
      }
    }
    return iterateDouble(a, v, it, maxIter, tol, deadline);
  }

  /** The double iterations of {@link #power} from the unit vector {@code v}, {@code it} iterations already run. */
  private static PowerResult iterateDouble(LinearOperator a, double[] v, int it, int maxIter, double tol,
      long deadline) {
    double[] u = new double[a.outDim()];
    double sigma = 0;
    boolean converged = false;
    int doubles = 0;
    while (it < maxIter) {
      it++;
      doubles++;
      a.apply(v, u);
      double s = norm(u);
      if (s == 0) {
        return new PowerResult(0, v, it, true);
      }
      // ‖Av‖ with ‖v‖ = 1 never exceeds σ_max: each iterate is itself a lower bound.
      double next = Math.max(sigma, s);
      a.applyTranspose(u, v);
      scale(v, 1.0 / norm(v));
      if (Math.abs(next - sigma) <= tol * next) {
        sigma = next;
        converged = true;
        break;
      }
      sigma = next;
      // past the deadline a float-started run still gets its double iterations: σ comes from them
      if (deadline != 0 && System.nanoTime() > deadline && doubles >= DOUBLE_FINISH) {
        break;
      }
    }
    return new PowerResult(sigma, v, it, converged);
  }

  public static PowerResult power(LinearOperator a, double[] start, int maxIter, double tol, long seed) {
    return power(a, start, maxIter, tol, seed, 0);
  }

  public static double norm(double[] v) {
    double s = 0;
    for (double d : v) {
      s += d * d;
    }
    return Math.sqrt(s);
  }

  public static void scale(double[] v, double f) {
    for (int i = 0; i < v.length; i++) {
      v[i] *= f;
    }
  }
}
