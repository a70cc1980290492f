package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.NormCertificate;
import io.lipwatch.estimator.linalg.SingleThreadBlas;
import io.lipwatch.estimator.linalg.SpectralNorm;
import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;

import io.lipwatch.estimator.estimate.UpperBound;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.openblas.global.openblas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SeqLip (Scaman &amp; Virmaux 2018) for chains of dense layers with element-wise activations whose slopes lie in
 * [a, b]. Every Jacobian is W_K·D_{K−1}·…·D_1·W_1 with D_i = diag(σ), σ ∈ [a,b]^n; with W_i = U_iΣ_iV_iᵀ it factors
 * into brackets M_i(σ) = Σ̃_{i+1}V_{i+1}ᵀ·diag(σ)·U_iΣ̃_i (Σ̃ = Σ for the first/last layer, Σ^{1/2} between), so
 * L ≤ Π_i max_σ ‖M_i(σ)‖. σ ↦ ‖M_i(σ)‖ is convex, so the max over the box is at a vertex σ ∈ {a,b}^n.
 *
 * <p>{@code seqlip} (sound): every vertex enumerated (n ≤ {@link #EXACT_MAX}) in Gray-code order (rank-one updates).
 * {@code seqlip-greedy} (sound:false, an estimate either way): single flips from all-b, kept while the power-iteration
 * norm grows; each bracket gets an equal share of the remaining budget.
 *
 * <p>Floating-point proof of {@code seqlip} (the value bounds the exact network with the stored weights):
 * <ol>
 *   <li>the factors are the doubles actually stored, L_i (= Û_iΣ̃_i, Û for the last layer) and R_i (= Σ̃_iV̂_iᵀ, V̂ᵀ for
 *       the first), and W_i = L_iR_i + E_i exactly; ‖E_i‖_F is bounded from fl(W_i − fl(L_iR_i)) and γ_{r+1}|L_i||R_i|.
 *       Telescoping, J − L_K·M_{K−1}⋯M_1·R_1 = Σ_i (W_K D ⋯ W_{i+1}) D E_i D (L_{i−1}R_{i−1} ⋯), so the bound adds
 *       Π_j max|slope_j| · Σ_i ‖E_i‖ Π_{j≠i} (‖W_j‖ + ‖E_j‖), with ‖W_j‖ proven ({@link SpectralNorm#exactUpper});
 *       ‖L_K‖ and ‖R_1‖ (≈ 1) are proven by {@link NormCertificate};</li>
 *   <li>per pattern σ the computed M̃(σ) is within e_M of M(σ) in Frobenius norm (rank-one updates, rebuilt from
 *       scratch every {@link #REBUILD} patterns: per entry ≤ (γ_{n+2} + 8u·REBUILD)·max|σ|·(|A||B|)_pq, doubled);</li>
 *   <li>every pattern's ‖M̃(σ)‖ ≤ s − e_M is proven by a verified Cholesky ({@link NormCertificate#certifies(double[],
 *       int, int, double)}) or by its Frobenius norm; a pattern the running s does not cover raises s to the least
 *       proven value above its SVD value (s only grows, so earlier patterns stay proven);</li>
 *   <li>every product and sum of the final value is rounded upward.</li>
 * </ol>
 */
public final class SeqLip {
  public static final String METHOD = "seqlip";
  public static final String GREEDY_METHOD = "seqlip-greedy";
  public static final int EXACT_MAX = 20;
  /** Patterns between two rebuilds of M(σ) from scratch (the rank-one updates' rounding grows with this). */
  static final int REBUILD = 64;
  private static final double U = Math.ulp(1.0) / 2;

  private SeqLip() {}

  public static boolean applies(ExtractedNetwork net) {
    if (!net.isChain()) {
      return false;
    }
    int dense = 0;
    boolean lastWasAct = false;
    for (Node n : net.nodes()) {
      if (n.op() instanceof Op.Affine a) {
        if (!(a.linear() instanceof DenseMatrix)) {
          return false;
        }
        dense++;
        lastWasAct = false;
      } else if (n.op() instanceof Op.Activation) {
        if (lastWasAct || dense == 0) {
          return false;
        }
        lastWasAct = true;
      } else {
        return false;
      }
    }
    return dense >= 2;
  }

  private record Svd(double[][] u, double[] s, double[][] vt) {} // u: m×r (columns), vt: r×n

  private static Svd svd(DenseMatrix a) {
    int m = a.rows();
    int n = a.cols();
    int r = Math.min(m, n);
    INDArray s = Nd4j.create(DataType.DOUBLE, r);
    INDArray u = Nd4j.create(DataType.DOUBLE, new long[] {m, m}, 'f');
    INDArray vt = Nd4j.create(DataType.DOUBLE, new long[] {n, n}, 'f');
    Nd4j.getBlasWrapper().lapack().gesvd(a.toNd4j(), s, u, vt);
    double[][] uu = new double[m][r];
    double[][] vv = new double[r][n];
    // one bulk read of each column-major result (getDouble per entry took most of a minute at width 2048)
    double[] ud = u.data().asDouble();
    double[] vd = vt.data().asDouble();
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < r; j++) {
        uu[i][j] = ud[i + j * m];
      }
    }
    for (int i = 0; i < r; i++) {
      for (int j = 0; j < n; j++) {
        vv[i][j] = vd[i + j * n];
      }
    }
    return new Svd(uu, s.data().asDouble(), vv);
  }

  /** Faster than any 2-core machine runs dgesvd with both factors: predictions from it only ever underestimate. */
  static final double OPTIMISTIC_SVD_RATE = 2e10;

  /** The fastest dgesvd rate measured in this JVM (flop/s); a race between estimates only changes a prediction. */
  private static volatile double svdRate = OPTIMISTIC_SVD_RATE;

  /** dgesvd's operation count with all of U and Vᵀ (Golub–Van Loan's R-SVD): 4m²k + 8mk² + 9k³, m ≥ k. */
  static double svdFlops(DenseMatrix w) {
    double m = Math.max(w.rows(), w.cols());
    double k = Math.min(w.rows(), w.cols());
    return 4 * m * m * k + 8 * m * k * k + 9 * k * k * k;
  }

  public static UpperBound bound(ExtractedNetwork net, boolean exactWanted, long deadline) {
    long t0 = System.nanoTime();
    List<DenseMatrix> ws = new ArrayList<>();
    List<ActivationSpec> acts = new ArrayList<>(); // activation after each dense layer (identity if none)
    for (Node n : net.nodes()) {
      if (n.op() instanceof Op.Affine a) {
        ws.add((DenseMatrix) a.linear());
        acts.add(ActivationSpec.IDENTITY);
      } else if (n.op() instanceof Op.Activation a) {
        acts.set(acts.size() - 1, a.spec());
      }
    }
    int k = ws.size();
    Svd[] svd = new Svd[k];
    for (int i = 0; i < k; i++) {
      // an SVD cannot be interrupted (a 2048-wide one takes ~80 s here): one that would end past the deadline even at
      // the fastest rate seen in this JVM (an optimistic guess before the first) is not started
      double predicted = svdFlops(ws.get(i)) / svdRate;
      if (deadline != 0 && System.nanoTime() + predicted * 1e9 > deadline) {
        return new UpperBound(exactWanted ? METHOD : GREEDY_METHOD, Double.NaN, false, AutoLip.seconds(t0), null,
            String.format(java.util.Locale.ROOT, "budget exhausted during the SVDs (%d of %d layers; the next, %d×%d,"
                + " would take ≈ %.2g s)", i, k, ws.get(i).rows(), ws.get(i).cols(), predicted), false);
      }
      long s0 = System.nanoTime();
      svd[i] = svd(ws.get(i));
      double rate = svdFlops(ws.get(i)) / Math.max(1e-9, (System.nanoTime() - s0) / 1e9);
      // small SVDs are dominated by overhead: their rate would make later predictions pessimistic
      if (svdFlops(ws.get(i)) >= 1e9 && (svdRate == OPTIMISTIC_SVD_RATE || rate > svdRate)) {
        svdRate = rate;
      }
    }
    boolean exact = exactWanted;
    for (int i = 0; i + 1 < k; i++) {
      exact &= ws.get(i).rows() <= EXACT_MAX;
    }
    double product = acts.get(k - 1).lipschitz();
    boolean late = false;
    long patterns = 0;
    double[][] lf = new double[k][]; // L_i as stored (rows_i × r_i), row-major
    double[][] rf = new double[k][]; // R_i as stored (r_i × cols_i)
    double[] bracketMax = new double[Math.max(0, k - 1)];
    for (int i = 0; i + 1 < k; i++) {
      // A = Σ̃_{i+1}V_{i+1}ᵀ (r2×n), B = U_iΣ̃_i (n×r1)
      Svd left = svd[i + 1];
      Svd right = svd[i];
      int n = ws.get(i).rows();
      int r2 = left.s().length;
      int r1 = right.s().length;
      double[][] a = new double[r2][n];
      for (int p = 0; p < r2; p++) {
        double sc = i + 1 == k - 1 ? left.s()[p] : Math.sqrt(left.s()[p]);
        for (int j = 0; j < n; j++) {
          a[p][j] = sc * left.vt()[p][j];
        }
      }
      double[][] b = new double[n][r1];
      for (int j = 0; j < n; j++) {
        for (int q = 0; q < r1; q++) {
          b[j][q] = right.u()[j][q] * (i == 0 ? right.s()[q] : Math.sqrt(right.s()[q]));
        }
      }
      if (exact) {
        rf[i + 1] = flat(a); // the stored factors, for the residual term of the proof
        lf[i] = flat(b);
      }
      ActivationSpec act = acts.get(i);
      double lo = act.slopeMin();
      double hi = act.slopeMax();
      double best;
      if (exact) {
        double[] r = enumerate(a, b, lo, hi, deadline);
        best = r[0];
        bracketMax[i] = best;
        patterns += (long) r[1];
        late |= r[2] > 0;
      } else {
        // each bracket gets an equal share of what is left, so a slow first bracket cannot starve the others
        long now = System.nanoTime();
        long share = deadline == 0 ? 0 : now + Math.max(0, deadline - now) / (k - 1 - i);
        best = greedy(a, b, lo, hi, share);
        late |= share != 0 && System.nanoTime() > share;
        if (Double.isNaN(best)) {
          return new UpperBound(GREEDY_METHOD, Double.NaN, false, AutoLip.seconds(t0), null, String.format(
              java.util.Locale.ROOT, "budget exhausted while building bracket %d of %d (%d×%d)", i + 1, k - 1, a.length,
              b[0].length), false);
        }
      }
      product *= best;
    }
    String proofNote = "";
    if (exact && !late) {
      double proven = proven(ws, acts, svd, lf, rf, bracketMax);
      proofNote = String.format("; factorisation residuals add %.3g relative", proven / product - 1);
      product = proven;
    }
    boolean sound = exact && !late;
    String note = exact ? "all " + patterns + " activation patterns enumerated, each proven by a verified Cholesky"
        + proofNote : "greedy flips from all-ones (an estimate, not a bound)";
    if (late) {
      note += "; budget exhausted before the search finished";
    }
    return new UpperBound(exact ? METHOD : GREEDY_METHOD, product, sound, AutoLip.seconds(t0), null, note,
        exact ? null : !late);
  }

  /**
   * The proven total: ‖L_K‖·Π_i max_σ‖M_i(σ)‖·‖R_1‖ (each bracket maximum already proven for the exact M_i) plus the
   * factorisation residual term, times the output activation's constant, every operation rounded upward.
   */
  private static double proven(List<DenseMatrix> ws, List<ActivationSpec> acts, Svd[] svd, double[][] lf,
      double[][] rf, double[] bracketMax) {
    int k = ws.size();
    Svd last = svd[k - 1];
    Svd first = svd[0];
    int rl = last.s().length;
    int r0 = first.s().length;
    double[] ul = new double[ws.get(k - 1).rows() * rl];
    for (int i = 0; i < ws.get(k - 1).rows(); i++) {
      for (int j = 0; j < rl; j++) {
        ul[i * rl + j] = last.u()[i][j];
      }
    }
    lf[k - 1] = ul;
    rf[0] = flat(first.vt());
    double core = NormCertificate.prove(new DenseMatrix(ws.get(k - 1).rows(), rl, ul), 1.0).value();
    for (double m : bracketMax) {
      core = up(core * m);
    }
    core = up(core * NormCertificate.prove(new DenseMatrix(r0, ws.get(0).cols(), rf[0]), 1.0).value());
    double[] w = new double[k];
    double[] e = new double[k];
    for (int i = 0; i < k; i++) {
      DenseMatrix wi = ws.get(i);
      w[i] = SpectralNorm.exactUpper(wi);
      e[i] = residual(wi, lf[i], rf[i], svd[i].s().length);
    }
    double slopes = 1;
    for (int i = 0; i + 1 < k; i++) {
      slopes = up(slopes * acts.get(i).lipschitz());
    }
    double err = 0;
    for (int i = 0; i < k; i++) {
      double t = e[i];
      for (int j = 0; j < k; j++) {
        if (j != i) {
          t = up(t * up(w[j] + e[j]));
        }
      }
      err = up(err + t);
    }
    return up(acts.get(k - 1).lipschitz() * up(core + up(err * slopes)));
  }

  /** ‖W − LR‖_F bounded above: per entry 2·(|fl(W − fl(LR))| + γ_{r+1}·fl(|L||R|)), summed upward. */
  private static double residual(DenseMatrix w, double[] l, double[] r, int rank) {
    int rows = w.rows();
    int cols = w.cols();
    double g = NormCertificate.gamma(rank + 1L);
    double sq = 0;
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        double p = 0;
        double ap = 0;
        for (int t = 0; t < rank; t++) {
          p += l[i * rank + t] * r[t * cols + j];
          ap += Math.abs(l[i * rank + t] * r[t * cols + j]);
        }
        double bound = up(2 * up(Math.abs(w.get(i, j) - p) + up(g * ap)));
        sq = up(sq + up(bound * bound));
      }
    }
    return up(Math.sqrt(sq));
  }

  private static double up(double v) {
    return Math.nextUp(v);
  }

  private static double[] flat(double[][] x) {
    int r = x.length;
    int c = r == 0 ? 0 : x[0].length;
    double[] f = new double[r * c];
    for (int i = 0; i < r; i++) {
      System.arraycopy(x[i], 0, f, i * c, c);
    }
    return f;
  }

  /**
   * {proven max, patterns, late?} over all vertices of [lo,hi]^n: s with ‖A·diag(σ)·B‖₂ ≤ s proven for every σ ∈
   * {lo,hi}^n (A r2×n, B n×r1, the exact products of the stored doubles). M̃(σ) follows the Gray code by rank-one
   * updates and is rebuilt every {@link #REBUILD} patterns; e_M bounds its distance to the exact M(σ).
   */
  static double[] enumerate(double[][] a, double[][] b, double lo, double hi, long deadline) {
    int r2 = a.length;
    int n = b.length;
    int r1 = b[0].length;
    double smax = Math.max(Math.abs(lo), Math.abs(hi));
    double[] sigma = new double[n];
    java.util.Arrays.fill(sigma, hi);
    // e_M = 2·(γ_{n+2} + 8u·REBUILD)·max|σ|·‖fl(|A||B|)‖_F, upward (the factor 2 covers fl(|A||B|)'s own rounding)
    double absSq = 0;
    for (int p = 0; p < r2; p++) {
      for (int q = 0; q < r1; q++) {
        double t = 0;
        for (int j = 0; j < n; j++) {
          t += Math.abs(a[p][j] * b[j][q]);
        }
        absSq = up(absSq + up(t * t));
      }
    }
    double rate = up(NormCertificate.gamma(n + 2L) + 8 * U * REBUILD);
    double em = up(up(2 * rate) * up(smax * up(Math.sqrt(absSq))));
    double[] m = new double[r2 * r1];
    rebuild(a, b, sigma, m);
    double s = 0;
    long total = lo == hi ? 1 : 1L << n;
    long done = 0;
    for (long g = 0; g < total; g++) {
      if (g > 0) {
        int j = Long.numberOfTrailingZeros(g); // Gray code: flip coordinate j
        sigma[j] = sigma[j] == hi ? lo : hi;
        if (g % REBUILD == 0) {
          rebuild(a, b, sigma, m);
        } else {
          double delta = sigma[j] == hi ? hi - lo : lo - hi;
          for (int p = 0; p < r2; p++) {
            double ap = a[p][j] * delta;
            for (int q = 0; q < r1; q++) {
              m[p * r1 + q] += ap * b[j][q];
            }
          }
        }
      }
      s = provePattern(m, r2, r1, em, s);
      done++;
      if ((g & 1023) == 1023 && deadline != 0 && System.nanoTime() > deadline) {
        return new double[] {s, done, 1};
      }
    }
    return new double[] {s, done, 0};
  }

  /** M̃ = A·diag(σ)·B from scratch. */
  private static void rebuild(double[][] a, double[][] b, double[] sigma, double[] m) {
    int r2 = a.length;
    int n = b.length;
    int r1 = b[0].length;
    java.util.Arrays.fill(m, 0);
    for (int p = 0; p < r2; p++) {
      for (int j = 0; j < n; j++) {
        double ap = a[p][j] * sigma[j];
        for (int q = 0; q < r1; q++) {
          m[p * r1 + q] += ap * b[j][q];
        }
      }
    }
  }

  /** The running s, raised if this pattern's ‖M(σ)‖ ≤ s is not proven (never lowered). */
  static double provePattern(double[] m, int r, int c, double em, double s) {
    double frob = NormCertificate.frobeniusUp(new DenseMatrix(r, c, m));
    if (up(frob + em) <= s) {
      return s;
    }
    if (s > 0 && NormCertificate.certifies(m, r, c, Math.nextDown(s - em))) {
      return s;
    }
    double fallback = up(frob + em);
    double est = SpectralNorm.svdLargest(new DenseMatrix(r, c, m.clone()));
    for (double d : new double[] {0x1p-40, 0x1p-30, 1e-7, 1e-5, 1e-3}) {
      double cand = up(up(est * (1 + d)) + em);
      if (cand <= s || cand >= fallback) {
        continue;
      }
      if (NormCertificate.certifies(m, r, c, Math.nextDown(cand - em))) {
        return cand;
      }
    }
    return Math.max(s, fallback);
  }

  /**
   * Single flips from all-{@code hi}, each kept while the bracket's norm grows. M(σ) = A·diag(σ)·B is held explicitly
   * (r2×r1, never larger than the implicit product's two factors) and a flip is a rank-one update; the norm is a power
   * iteration warm-started from the best pattern's vector, so a flip costs a few r2·r1 products instead of thirty
   * passes through both factors. The starting norm ignores the deadline: a cut-short search still reports the all-hi
   * bracket, not a power iteration stopped after one step.
   */
  static double greedy(double[][] a, double[][] b, double lo, double hi, long deadline) {
    int r2 = a.length;
    int n = b.length;
    int r1 = b[0].length;
    double[] sigma = new double[n];
    java.util.Arrays.fill(sigma, hi);
    double[] m = new double[r2 * r1];
    for (int p = 0; p < r2; p++) {
      // building M costs r2·n·r1 (seconds at width 2048): a build cut by the deadline leaves no value, not a wrong one
      if (deadline != 0 && System.nanoTime() > deadline) {
        return Double.NaN;
      }
      for (int j = 0; j < n; j++) {
        double t = a[p][j] * hi;
        if (t != 0) {
          int o = p * r1;
          for (int q = 0; q < r1; q++) {
            m[o + q] += t * b[j][q];
          }
        }
      }
    }
    // M, the factors' columns and rows, and the vectors in native memory: flips are OpenBLAS dger and the power
    // iterations dgemv (4–5× the Java loops on 256×256), on this thread only (the engine runs beside the probes)
    try (SingleThreadBlas one = SingleThreadBlas.enter(); Explicit e = new Explicit(m, r2, r1, a, b)) {
      double[] best = new double[r1];
      java.util.Arrays.fill(best, 1 / Math.sqrt(r1));
      double bestNorm = e.norm(best, 200, 0);
      if (lo == hi) {
        return bestNorm;
      }
      double[] x = new double[r1];
      boolean improved = true;
      while (improved) {
        improved = false;
        for (int j = 0; j < n; j++) {
          if (deadline != 0 && System.nanoTime() > deadline) {
            return bestNorm;
          }
          double delta = (sigma[j] == hi ? lo : hi) - sigma[j];
          e.rankOne(j, delta);
          System.arraycopy(best, 0, x, 0, r1);
          double s = e.norm(x, 30, deadline);
          if (s > bestNorm * (1 + 1e-12)) {
            bestNorm = s;
            sigma[j] += delta;
            System.arraycopy(x, 0, best, 0, r1);
            improved = true;
          } else {
            e.rankOne(j, -delta);
          }
        }
      }
      return bestNorm;
    }
  }

  /** M = A·diag(σ)·B held in native memory, with A's columns and B's rows for its rank-one updates. */
  private static final class Explicit implements AutoCloseable {
    final int r2;
    final int r1;
    final DoublePointer m;
    final DoublePointer aCols; // column j of A at j·r2
    final DoublePointer bRows; // row j of B at j·r1
    final DoublePointer x;
    final DoublePointer y;

    Explicit(double[] m, int r2, int r1, double[][] a, double[][] b) {
      this.r2 = r2;
      this.r1 = r1;
      int n = b.length;
      double[] at = new double[n * r2];
      for (int p = 0; p < r2; p++) {
        for (int j = 0; j < n; j++) {
          at[j * r2 + p] = a[p][j];
        }
      }
      double[] bf = new double[n * r1];
      for (int j = 0; j < n; j++) {
        System.arraycopy(b[j], 0, bf, j * r1, r1);
      }
      this.m = new DoublePointer(m);
      this.aCols = new DoublePointer(at);
      this.bRows = new DoublePointer(bf);
      this.x = new DoublePointer(r1);
      this.y = new DoublePointer(r2);
    }

    /** M += δ·a_{·j}·b_jᵀ. */
    void rankOne(int j, double delta) {
      openblas.cblas_dger(openblas.CblasRowMajor, r2, r1, delta, aCols.position((long) j * r2), 1,
          bRows.position((long) j * r1), 1, m, r1);
      aCols.position(0);
      bRows.position(0);
    }

    /** Power-iteration value of ‖M‖ (an estimate) from the unit vector {@code v}, which is left at the last iterate. */
    double norm(double[] v, int iterations, long deadline) {
      x.put(v, 0, r1);
      double s = 0;
      for (int it = 0; it < iterations; it++) {
        if (it > 0 && deadline != 0 && System.nanoTime() > deadline) {
          break;
        }
        openblas.cblas_dgemv(openblas.CblasRowMajor, openblas.CblasNoTrans, r2, r1, 1.0, m, r1, x, 1, 0.0, y, 1);
        double ny = openblas.cblas_dnrm2(r2, y, 1);
        if (ny == 0) {
          x.get(v, 0, r1);
          return 0;
        }
        openblas.cblas_dgemv(openblas.CblasRowMajor, openblas.CblasTrans, r2, r1, 1.0, m, r1, y, 1, 0.0, x, 1);
        double nx = openblas.cblas_dnrm2(r1, x, 1);
        openblas.cblas_dscal(r1, 1 / nx, x, 1);
        boolean done = Math.abs(ny - s) <= 1e-9 * ny;
        s = Math.max(s, ny);
        if (done) {
          break;
        }
      }
      x.get(v, 0, r1);
      return s;
    }

    @Override
    public void close() {
      m.close();
      aCols.close();
      bRows.close();
      x.close();
      y.close();
    }
  }

  /**
   * {@code seqlip} (exact, sound) and {@code seqlip-greedy} (an estimate): one method, since the exact enumeration falls
   * back to the greedy search when a layer is too wide; asking for {@code seqlip} asks for the exact one.
   */
  static final class Method implements BoundMethod {
    public String name() { return METHOD; }
    public java.util.Set<String> aliases() { return java.util.Set.of(GREEDY_METHOD); }
    public Kind kind() { return Kind.SOUND_UPPER; }
    public String inapplicable(ExtractedNetwork net) {
      return applies(net) ? null : "seqlip applies to chains of dense layers with element-wise activations only";
    }
    public MethodOutcome compute(MethodContext ctx) {
      return MethodOutcome.of(bound(ctx.net(), ctx.config().wants(METHOD), ctx.deadline()));
    }
  }
}
