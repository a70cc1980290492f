package io.lipwatch.estimator.linalg;

import java.util.Random;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.openblas.global.openblas;

/**
 * A floating-point proof that s ≥ ‖W‖₂ for the exact doubles of W: s²I − G ⪰ 0, G = WᵀW (or WWᵀ, the smaller),
 * checked by a Cholesky factorisation with every rounding error accounted for, as in the LipSDP certificate:
 *
 * <ol>
 *   <li>each entry of the assembled S = s²I − fl(G) is off by at most γ_{m+2}·abs_ij (m terms of the inner product, the
 *       product s·s and the subtraction; γ_k = ku/(1 − ku), u = 2⁻⁵³; any summation order, so BLAS is fine), with
 *       abs = |W|ᵀ|W| + s²I; hence ‖S − S̃‖₂ ≤ e_S = γ_{m+2}·max_i Σ_j abs_ij (the ∞-norm of a symmetric bound);</li>
 *   <li>Cholesky of fl(S̃ − σI) with σ = e_S + 2γ_{n+1}/(1 − 2γ_{n+1})·tr⁺(S̃) + an underflow term (Rump, "Verification of
 *       positive definiteness", BIT 2006, with a safety factor 2): if it runs to completion S̃ − e_S·I is positive
 *       definite, so the exact S is positive semidefinite and ‖W‖₂ ≤ s.</li>
 * </ol>
 *
 * A certificate for s below the true norm cannot succeed (S is then indefinite); for s above it by more than the
 * rounding margin (about n²u relative) it does.
 */
public final class NormCertificate {
  private static final double U = Math.ulp(1.0) / 2;
  /** Relative inflations tried over the SVD value before falling back to the Frobenius norm. */
  private static final double[] STEPS = {0x1p-40, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2};
  /** From this side on the factorisation is LAPACK's (blocked, native); below it the plain loop is as fast. */
  static final int NATIVE_CHOLESKY = 64;

  private NormCertificate() {}

  /** A proven upper bound of ‖W‖₂ and how it was proven. */
  public record Proven(double value, String how) {}

  /** γ_k = ku/(1 − ku): the relative error bound of a k-term floating-point sum of products (Higham). */
  public static double gamma(long k) {
    double ku = k * U;
    return ku / (1 - ku);
  }

  /** The Gram matrix of the smaller side, row-major, with the row sums of |W|ᵀ|W| (or |W||W|ᵀ) and m. */
  record Gram(double[] g, double[] absRowSums, int n, int m) {}

  static Gram gram(DenseMatrix w) {
    int rows = w.rows();
    int cols = w.cols();
    boolean colsSide = cols <= rows; // G = WᵀW (cols×cols) sums over rows
    int n = colsSide ? cols : rows;
    // one symmetric rank-k update (OpenBLAS dsyrk, upper triangle), mirrored: half the flops of a general product
    double[] gm = new double[n * n];
    try (DoublePointer pw = new DoublePointer(w.data()); DoublePointer pg = new DoublePointer((long) n * n)) {
      pg.zero();
      openblas.cblas_dsyrk(openblas.CblasRowMajor, openblas.CblasUpper, colsSide ? openblas.CblasTrans : openblas.CblasNoTrans,
          n, colsSide ? rows : cols, 1.0, pw, cols, 0.0, pg, n);
      pg.get(gm);
    }
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        gm[j * n + i] = gm[i * n + j];
      }
    }
    double[] d = w.data();
    double[] abs = new double[n];
    if (colsSide) {
      double[] rs = w.absRowSums();
      for (int p = 0; p < rows; p++) {
        for (int i = 0; i < cols; i++) {
          abs[i] += Math.abs(d[p * cols + i]) * rs[p];
        }
      }
    } else {
      double[] cs = w.absColSums();
      for (int i = 0; i < rows; i++) {
        for (int q = 0; q < cols; q++) {
          abs[i] += Math.abs(d[i * cols + q]) * cs[q];
        }
      }
    }
    // as below: the row sums are rounded sums of non-negative terms over both dimensions
    double inflate = 1 + 2 * gamma((long) rows + cols + 3);
    for (int i = 0; i < n; i++) {
      abs[i] *= inflate;
    }
    return new Gram(gm, abs, n, colsSide ? rows : cols);
  }

  /** Whether s ≥ ‖W‖₂ is proven. */
  public static boolean certifies(DenseMatrix w, double s) {
    return check(gram(w), s);
  }

  /**
   * Whether s ≥ ‖M‖₂ is proven for the real rows×cols matrix M (row-major): the same proof as for a
   * {@link DenseMatrix}, the Gram matrix summed here in plain Java (no native call: for many small matrices).
   */
  public static boolean certifies(double[] m, int rows, int cols, double s) {
    if (rows == 0 || cols == 0) {
      return s >= 0;
    }
    return check(gram(m, null, rows, cols), s);
  }

  /**
   * Whether s ≥ ‖F‖₂ is proven for the complex rows×cols matrix F = re + i·im (row-major). F has the singular values of
   * its real embedding B = [[re, −im], [im, re]] (each twice), so the real proof applies to B: its Gram matrix BᵀB is
   * [[Hr, −Hi], [Hi, Hr]] with FᴴF = Hr + i·Hi (or BBᵀ from FFᴴ, the smaller side), each entry a sum of 2·max(rows, cols)
   * products, which is all the rounding analysis needs (any summation order).
   */
  public static boolean certifiesComplex(double[] re, double[] im, int rows, int cols, double s) {
    if (rows == 0 || cols == 0) {
      return s >= 0;
    }
    return check(gram(re, im, rows, cols), s);
  }

  /**
   * The Gram matrix of the smaller side of M (real, im == null) or of the real embedding of re + i·im, with the row
   * sums of |M|ᵀ|M| (|B|ᵀ|B|): Σ_j (|M|ᵀ|M|)_ij = Σ_o |M_oi|·ρ_o, ρ_o the absolute row sums of M (for B,
   * |B_oi| + |B_(o+r),i| = |re_oi| + |im_oi| and ρ_o = Σ_j |re_oj| + |im_oj| for both of its row blocks).
   */
  private static Gram gram(double[] re, double[] im, int rows, int cols) {
    boolean colsSide = cols <= rows;
    int k = colsSide ? cols : rows; // side of the (complex) Gram matrix
    int t = colsSide ? rows : cols; // terms per entry
    // a[x][y] with x over the Gram side and y over the summed side, as contiguous rows for the inner products
    double[] ar = new double[k * t];
    double[] ai = im == null ? null : new double[k * t];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int idx = colsSide ? c * t + r : r * t + c;
        ar[idx] = re[r * cols + c];
        if (ai != null) {
          // FᴴF: conj is applied on the left factor, FFᴴ on the right one; Hi's sign differs, the embedding does not care
          ai[idx] = im[r * cols + c];
        }
      }
    }
    double[] abs = new double[k];
    double[] rho = new double[t];
    for (int x = 0; x < k; x++) {
      for (int y = 0; y < t; y++) {
        rho[y] += Math.abs(ar[x * t + y]) + (ai == null ? 0 : Math.abs(ai[x * t + y]));
      }
    }
    for (int x = 0; x < k; x++) {
      double v = 0;
      for (int y = 0; y < t; y++) {
        v += (Math.abs(ar[x * t + y]) + (ai == null ? 0 : Math.abs(ai[x * t + y]))) * rho[y];
      }
      // ρ and the outer sum are rounded sums of non-negative terms: the exact value is below fl·(1 + 2γ)
      abs[x] = v * (1 + 2 * gamma(t + k + 3L));
    }
    if (ai == null) {
      double[] g = new double[k * k];
      for (int x = 0; x < k; x++) {
        for (int z = x; z < k; z++) {
          double v = 0;
          int bx = x * t;
          int bz = z * t;
          for (int y = 0; y < t; y++) {
            v += ar[bx + y] * ar[bz + y];
          }
          g[x * k + z] = v;
          g[z * k + x] = v;
        }
      }
      return new Gram(g, abs, k, t);
    }
    // Hr = Σ_y ar_x·ar_z + ai_x·ai_z, Hi = Σ_y ar_x·ai_z − ai_x·ar_z; embedding [[Hr, −Hi], [Hi, Hr]] (Hi antisymmetric)
    int n = 2 * k;
    double[] g = new double[n * n];
    for (int x = 0; x < k; x++) {
      int bx = x * t;
      for (int z = x; z < k; z++) {
        int bz = z * t;
        double hr = 0;
        double hi = 0;
        for (int y = 0; y < t; y++) {
          double xr = ar[bx + y];
          double xi = ai[bx + y];
          double zr = ar[bz + y];
          double zi = ai[bz + y];
          hr += xr * zr + xi * zi;
          hi += xr * zi - xi * zr;
        }
        g[x * n + z] = hr;
        g[z * n + x] = hr;
        g[(x + k) * n + (z + k)] = hr;
        g[(z + k) * n + (x + k)] = hr;
        g[(x + k) * n + z] = hi;
        g[z * n + (x + k)] = hi;
        g[(z + k) * n + x] = -hi;
        g[x * n + (z + k)] = -hi;
      }
    }
    double[] abs2 = new double[n];
    System.arraycopy(abs, 0, abs2, 0, k);
    System.arraycopy(abs, 0, abs2, k, k);
    return new Gram(g, abs2, n, 2 * t);
  }

  private static boolean check(Gram gr, double s) {
    return check(gr, s, 0);
  }

  /**
   * The proof for s; {@code below} is a value under λ_max(G) (0: none). The shift depends on the diagonal and the row
   * sums only, so an s with s² − shift ≤ below, whose factorisation cannot succeed, is refused before factorising.
   */
  private static boolean check(Gram gr, double s, double below) {
    if (!(s > 0) || !Double.isFinite(s)) {
      return false;
    }
    int n = gr.n();
    double s2 = s * s;
    double[] g = gr.g();
    double rowMax = 0;
    double tracePos = 0;
    double diagMax = 0;
    for (int i = 0; i < n; i++) {
      rowMax = Math.max(rowMax, gr.absRowSums()[i] + s2);
      double d = s2 - g[i * n + i];
      if (!Double.isFinite(d)) {
        return false;
      }
      tracePos += Math.max(d, 0);
      diagMax = Math.max(diagMax, Math.abs(d));
    }
    // the row sums and the trace are themselves rounded: (1 + 4un) covers them
    double errS = gamma(gr.m() + 2L) * rowMax * (1 + 4 * U * n);
    double gn = gamma(n + 1L);
    double chol = 2 * gn / (1 - 2 * gn) * tracePos * (1 + 4 * U * n);
    double underflow = 8.0 * n * (2.0 * n + diagMax) * Double.MIN_VALUE;
    double shift = (errS + chol + underflow) * (1 + 8 * U);
    if (below > 0 && s2 - shift <= below) {
      return false;
    }
    if (n < NATIVE_CHOLESKY) {
      double[] a = new double[n * n];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          a[i * n + j] = (i == j ? s2 : 0) - g[i * n + j];
        }
        a[i * n + i] -= shift;
      }
      return cholesky(a, n);
    }
    // LAPACK's blocked Cholesky: the bound used above holds for any order of the inner products (and with FMA), so a
    // blocked factorisation is covered; entries are checked finite first and the pivots after (OpenBLAS's potf2 tests
    // ajj <= 0, which a NaN passes)
    try (DoublePointer p = new DoublePointer((long) n * n)) {
      double[] row = new double[n];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          row[j] = (i == j ? s2 : 0) - g[i * n + j];
          if (!Double.isFinite(row[j])) {
            return false;
          }
        }
        row[i] -= shift;
        p.position((long) i * n).put(row, 0, n);
      }
      p.position(0);
      // row-major lower triangle = column-major upper triangle of the same (symmetric) array: no transposed copy
      if (openblas.LAPACKE_dpotrf(openblas.LAPACK_COL_MAJOR, (byte) 'U', n, p, n) != 0) {
        return false;
      }
      for (int i = 0; i < n; i++) {
        double d = p.get((long) i * n + i);
        if (!(d > 0) || !Double.isFinite(d)) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * A proven upper bound of ‖W‖₂ at its largest singular value: G (dsyrk) once, λ_max(G) by Lanczos in double on G
   * (from below), then the least step of {@link #prove}'s ladder the certificate accepts on the same G. Should the
   * Lanczos value not be certified (a start blind to the top direction), LAPACK's SVD value is tried, then Frobenius.
   */
  public static Proven proveLargest(DenseMatrix w) {
    if (w.rows() == 0 || w.cols() == 0) {
      return new Proven(0.0, "empty");
    }
    Gram gr = gram(w);
    double lambda = Lanczos.largest(gr.g(), gr.n(), 1L);
    if (lambda > 0 && Double.isFinite(lambda)) {
      double est = Math.sqrt(lambda);
      for (double d : STEPS) {
        double s = est * (1 + d);
        if (check(gr, s, lambda)) {
          return new Proven(s, "cholesky-certified");
        }
      }
    }
    double svd = SpectralNorm.svdLargest(w);
    if (svd > 0 && Double.isFinite(svd)) {
      for (double d : STEPS) {
        double s = svd * (1 + d);
        if (check(gr, s)) {
          return new Proven(s, "cholesky-certified");
        }
      }
    }
    return new Proven(frobeniusUp(w), "frobenius");
  }

  /**
   * A proven bound near {@code estimate} (an SVD or Gram value): the smallest of estimate·(1 + δ), δ from 2⁻⁴⁰ up to
   * 1 %, that the certificate accepts; else the Frobenius norm rounded upward (always a bound).
   */
  public static Proven prove(DenseMatrix w, double estimate) {
    if (w.rows() == 0 || w.cols() == 0) {
      return new Proven(0.0, "empty");
    }
    return prove(w, estimate > 0 && Double.isFinite(estimate) ? gram(w) : null, estimate);
  }

  /** As above on the Gram matrix {@code gr} of {@code w} already formed (null: none needed, the estimate is unusable). */
  static Proven prove(DenseMatrix w, Gram gr, double estimate) {
    if (gr != null && estimate > 0 && Double.isFinite(estimate)) {
      for (double d : STEPS) {
        double s = estimate * (1 + d);
        if (check(gr, s)) {
          return new Proven(s, "cholesky-certified");
        }
      }
    }
    return new Proven(frobeniusUp(w), "frobenius");
  }

  /** ‖W‖_F ≥ ‖W‖₂ with every operation rounded upward (nextUp after each round-to-nearest result). */
  public static double frobeniusUp(DenseMatrix w) {
    double s = 0;
    for (double v : w.data()) {
      s = Math.nextUp(s + Math.nextUp(v * v));
    }
    return Math.nextUp(Math.sqrt(s));
  }

  /** In-place lower Cholesky (row-major); true when every pivot is positive and finite. */
  static boolean cholesky(double[] a, int n) {
    return io.lipwatch.estimator.bounds.lipsdp.LmiCertificate.cholesky(a, n) < 0;
  }
}
