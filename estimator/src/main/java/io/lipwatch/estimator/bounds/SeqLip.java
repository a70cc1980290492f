package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;

import io.lipwatch.estimator.estimate.UpperBound;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SeqLip (Scaman &amp; Virmaux 2018) for chains of dense layers with element-wise activations whose slopes lie in
 * [a, b]. Every Jacobian is W_K·D_{K−1}·…·D_1·W_1 with D_i = diag(σ), σ ∈ [a,b]^n; with W_i = U_iΣ_iV_iᵀ it factors
 * into brackets M_i(σ) = Σ̃_{i+1}V_{i+1}ᵀ·diag(σ)·U_iΣ̃_i (Σ̃ = Σ for the first/last layer, Σ^{1/2} between), so
 * L ≤ Π_i max_σ ‖M_i(σ)‖. σ ↦ ‖M_i(σ)‖ is convex, so the max over the box is at a vertex σ ∈ {a,b}^n.
 *
 * <p>{@code seqlip} (sound): every vertex enumerated (n ≤ {@link #EXACT_MAX}) in Gray-code order (rank-one updates);
 * per vertex a Gram-iteration upper bound of ‖M‖ (8 squarings), so the maximum is an upper bound. {@code seqlip-greedy}
 * (sound:false, an estimate either way): single flips from all-b, kept while the power-iteration norm grows.
 */
public final class SeqLip {
  public static final String METHOD = "seqlip";
  public static final String GREEDY_METHOD = "seqlip-greedy";
  public static final int EXACT_MAX = 20;

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
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < r; j++) {
        uu[i][j] = u.getDouble(i, j);
      }
    }
    for (int i = 0; i < r; i++) {
      for (int j = 0; j < n; j++) {
        vv[i][j] = vt.getDouble(i, j);
      }
    }
    return new Svd(uu, s.data().asDouble(), vv);
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
      // an SVD of a wide layer takes seconds: the budget is checked between them
      if (deadline != 0 && System.nanoTime() > deadline) {
        return new UpperBound(exactWanted ? METHOD : GREEDY_METHOD, Double.NaN, false, AutoLip.seconds(t0), null,
            "budget exhausted during the SVDs (" + i + " of " + k + " layers)", false);
      }
      svd[i] = svd(ws.get(i));
    }
    boolean exact = exactWanted;
    for (int i = 0; i + 1 < k; i++) {
      exact &= ws.get(i).rows() <= EXACT_MAX;
    }
    double product = acts.get(k - 1).lipschitz();
    boolean late = false;
    long patterns = 0;
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
      ActivationSpec act = acts.get(i);
      double lo = act.slopeMin();
      double hi = act.slopeMax();
      double best;
      if (exact) {
        double[] r = enumerate(a, b, lo, hi, deadline);
        best = r[0];
        patterns += (long) r[1];
        late |= r[2] > 0;
      } else {
        best = greedy(a, b, lo, hi, deadline);
        late |= deadline != 0 && System.nanoTime() > deadline;
      }
      product *= best;
    }
    boolean sound = exact && !late;
    String note = exact ? "all " + patterns + " activation patterns enumerated, Gram-iteration bound per pattern"
        : "greedy flips from all-ones (an estimate, not a bound)";
    if (late) {
      note += "; budget exhausted before the search finished";
    }
    return new UpperBound(exact ? METHOD : GREEDY_METHOD, product, sound, AutoLip.seconds(t0), null, note,
        exact ? null : !late);
  }

  /** {max bound, patterns, late?} over all vertices of [lo,hi]^n. */
  private static double[] enumerate(double[][] a, double[][] b, double lo, double hi, long deadline) {
    int r2 = a.length;
    int n = b.length;
    int r1 = b[0].length;
    double[] sigma = new double[n];
    java.util.Arrays.fill(sigma, hi);
    double[] m = new double[r2 * r1];
    for (int p = 0; p < r2; p++) {
      for (int j = 0; j < n; j++) {
        for (int q = 0; q < r1; q++) {
          m[p * r1 + q] += a[p][j] * hi * b[j][q];
        }
      }
    }
    double best = gramUpper(m, r2, r1);
    long total = lo == hi ? 1 : 1L << n;
    long done = 1;
    for (long g = 1; g < total; g++) {
      int j = Long.numberOfTrailingZeros(g); // Gray code: flip coordinate j
      double delta = sigma[j] == hi ? lo - hi : hi - lo;
      sigma[j] += delta;
      for (int p = 0; p < r2; p++) {
        double ap = a[p][j] * delta;
        for (int q = 0; q < r1; q++) {
          m[p * r1 + q] += ap * b[j][q];
        }
      }
      best = Math.max(best, gramUpper(m, r2, r1));
      done++;
      if ((g & 1023) == 0 && deadline != 0 && System.nanoTime() > deadline) {
        return new double[] {best, done, 1};
      }
    }
    // rank-one updates accumulate rounding; the Gram bound's 1e-9 allowance covers ~2^20 updates of size ε·‖M‖
    return new double[] {best, done, 0};
  }

  /** Gram-iteration upper bound of ‖M‖₂ (M r×c row-major), 8 squarings of the smaller Gram matrix. */
  static double gramUpper(double[] mm, int r, int c) {
    int s = Math.min(r, c);
    double[] g = new double[s * s];
    for (int i = 0; i < s; i++) {
      for (int j = 0; j < s; j++) {
        double t = 0;
        if (c <= r) {
          for (int p = 0; p < r; p++) {
            t += mm[p * c + i] * mm[p * c + j];
          }
        } else {
          for (int q = 0; q < c; q++) {
            t += mm[i * c + q] * mm[j * c + q];
          }
        }
        g[i * s + j] = t;
      }
    }
    double f = frob(g);
    if (f == 0) {
      return 0;
    }
    scale(g, 1 / f);
    double log = Math.log(f);
    double pow = 1;
    double[] t = new double[s * s];
    for (int step = 0; step < 8; step++) {
      java.util.Arrays.fill(t, 0);
      for (int i = 0; i < s; i++) {
        for (int kk = 0; kk < s; kk++) {
          double x = g[i * s + kk];
          for (int j = 0; j < s; j++) {
            t[i * s + j] += x * g[kk * s + j];
          }
        }
      }
      pow *= 2;
      double nf = frob(t);
      if (nf == 0) {
        return 0;
      }
      for (int i = 0; i < t.length; i++) {
        g[i] = t[i] / nf;
      }
      log += Math.log(nf) / pow;
    }
    return Math.exp(log / 2) * (1 + 1e-9);
  }

  private static double greedy(double[][] a, double[][] b, double lo, double hi, long deadline) {
    int n = b.length;
    double[] sigma = new double[n];
    java.util.Arrays.fill(sigma, hi);
    double[] v = null;
    double best = norm(a, b, sigma, null, deadline)[0];
    if (lo == hi) {
      return best;
    }
    boolean improved = true;
    while (improved) {
      improved = false;
      for (int j = 0; j < n; j++) {
        if (deadline != 0 && System.nanoTime() > deadline) {
          return best;
        }
        double old = sigma[j];
        sigma[j] = old == hi ? lo : hi;
        double[] r = norm(a, b, sigma, v, deadline);
        if (r[0] > best * (1 + 1e-12)) {
          best = r[0];
          improved = true;
        } else {
          sigma[j] = old;
        }
      }
    }
    return best;
  }

  /** Power-iteration value of ‖A diag(σ) B‖ (an estimate). */
  private static double[] norm(double[][] a, double[][] b, double[] sigma, double[] start, long deadline) {
    int r2 = a.length;
    int n = b.length;
    int r1 = b[0].length;
    double[] x = new double[r1];
    java.util.Arrays.fill(x, 1 / Math.sqrt(r1));
    double[] h = new double[n];
    double[] y = new double[r2];
    double s = 0;
    for (int it = 0; it < 30; it++) {
      if (it > 0 && deadline != 0 && System.nanoTime() > deadline) {
        break;
      }
      for (int j = 0; j < n; j++) {
        double t = 0;
        for (int q = 0; q < r1; q++) {
          t += b[j][q] * x[q];
        }
        h[j] = t * sigma[j];
      }
      double ny = 0;
      for (int p = 0; p < r2; p++) {
        double t = 0;
        for (int j = 0; j < n; j++) {
          t += a[p][j] * h[j];
        }
        y[p] = t;
        ny += t * t;
      }
      ny = Math.sqrt(ny);
      if (ny == 0) {
        return new double[] {0};
      }
      for (int j = 0; j < n; j++) {
        double t = 0;
        for (int p = 0; p < r2; p++) {
          t += a[p][j] * y[p];
        }
        h[j] = t * sigma[j];
      }
      double nx = 0;
      for (int q = 0; q < r1; q++) {
        double t = 0;
        for (int j = 0; j < n; j++) {
          t += b[j][q] * h[j];
        }
        x[q] = t;
        nx += t * t;
      }
      nx = Math.sqrt(nx);
      for (int q = 0; q < r1; q++) {
        x[q] /= nx;
      }
      boolean done = Math.abs(ny - s) <= 1e-9 * ny;
      s = Math.max(s, ny);
      if (done) {
        break;
      }
    }
    return new double[] {s};
  }

  private static double frob(double[] g) {
    double s = 0;
    for (double d : g) {
      s += d * d;
    }
    return Math.sqrt(s);
  }

  private static void scale(double[] g, double f) {
    for (int i = 0; i < g.length; i++) {
      g[i] *= f;
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
