package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;

import io.lipwatch.estimator.estimate.LowerBound;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code region-max}: for networks with at most {@value #MAX_INPUTS} inputs and piecewise-linear activations, the
 * exact Lipschitz constant on the box [−{@value #BOX}, {@value #BOX}]^d, by enumerating every activation region that
 * meets the box. A continuous piecewise-linear f has L = max over its regions of ‖J_region‖₂ (on a segment, f is
 * linear on finitely many pieces). Regions are split neuron by neuron, each piece of each activation kept when a small
 * linear programme finds a point at distance ≥ {@value #MARGIN} inside it; the reported value is the ratio of a real
 * pair inside the best region along its top singular vector, so it is a true lower bound whatever the enumeration
 * missed (slivers thinner than the margin, or regions cut off by the budget — then the note says so).
 */
final class RegionEnumeration implements BoundMethod {
  static final String METHOD = "region-max";
  static final int MAX_INPUTS = 4;
  static final double BOX = 1000;
  static final double MARGIN = 1e-7;
  /** Regions (leaves) enumerated at most. */
  static final int MAX_REGIONS = 200_000;

  @Override
  public String name() {
    return METHOD;
  }

  @Override
  public Kind kind() {
    return Kind.LOWER;
  }

  @Override
  public String inapplicable(ExtractedNetwork net) {
    if (net.inputDim() > MAX_INPUTS) {
      return METHOD + " applies to networks with at most " + MAX_INPUTS + " inputs";
    }
    return chain(net) == null ? METHOD + " applies to chains of affine maps and piecewise-linear activations only" : null;
  }

  /** One affine stage x ↦ W x + b followed by an activation (null after the last). */
  record Stage(DenseMatrix w, double[] b, ActivationSpec act) {}

  /** The network as affine stages with piecewise-linear activations, or null. */
  static List<Stage> chain(ExtractedNetwork net) {
    if (!net.isChain()) {
      return null;
    }
    List<Stage> out = new ArrayList<>();
    DenseMatrix w = null;
    double[] b = null;
    for (Node n : net.nodes()) {
      if (n.op() instanceof Op.Affine a) {
        DenseMatrix m = a.linear() instanceof DenseMatrix d ? d : a.linear().toDense();
        double[] bias = a.bias() == null ? new double[m.rows()] : a.bias();
        if (w == null) {
          w = m;
          b = bias.clone();
        } else { // consecutive affine maps: compose (for the enumeration only; pairs are evaluated on the network)
          w = multiply(m, w);
          double[] nb = new double[m.rows()];
          m.apply(b, nb);
          for (int i = 0; i < nb.length; i++) {
            nb[i] += bias[i];
          }
          b = nb;
        }
      } else if (n.op() instanceof Op.Activation act && w != null && pieces(act.spec()) != null) {
        out.add(new Stage(w, b, act.spec()));
        w = null;
        b = null;
      } else {
        return null;
      }
    }
    if (w == null) {
      return null;
    }
    out.add(new Stage(w, b, null));
    return out;
  }

  /** Breakpoints of a piecewise-linear activation (null when it is not one). */
  static double[] pieces(ActivationSpec a) {
    return switch (a.name()) {
      case "relu", "leakyrelu" -> new double[] {0};
      case "hardtanh" -> new double[] {-1, 1};
      case "relu6" -> new double[] {0, 6};
      case "hardsigmoid" -> new double[] {-2.5, 2.5};
      case "identity" -> new double[] {};
      default -> null;
    };
  }

  @Override
  public MethodOutcome compute(MethodContext ctx) {
    long t0 = System.nanoTime();
    ExtractedNetwork net = ctx.net();
    List<Stage> stages = chain(net);
    Search s = new Search(stages, net.inputDim(), ctx.deadline());
    int d = net.inputDim();
    double[][] a0 = new double[d][d];
    for (int i = 0; i < d; i++) {
      a0[i][i] = 1;
    }
    s.descend(0, 0, a0, new double[d], new ArrayList<>(), null, null);
    if (s.bestX == null) {
      return MethodOutcome.skipped(List.of(METHOD + " found no region (" + s.regions + " enumerated)"));
    }
    double[] x = s.bestX;
    double[] xp = x.clone();
    double step = s.bestRadius / 2;
    for (int i = 0; i < d; i++) {
      xp[i] += step * s.bestDir[i];
    }
    double ratio = LowerBounds.ratio(net, x, xp);
    boolean complete = !s.cut;
    String note = String.format("%d activation regions of [−%s, %s]^%d, %d LPs; %s max ‖J‖ = %.10g attained by a pair inside its region",
        s.regions, BOX, BOX, d, s.lps, complete ? "every region met (exact on the box):" : "incomplete (budget), so only a lower bound:",
        s.bestNorm);
    return MethodOutcome.of(new LowerBound(METHOD, ratio, AutoLip.seconds(t0), s.regions, note), List.<double[][]>of(new double[][] {x, xp}));
  }

  /** Depth-first enumeration; the region is {x : c·x + e ≥ 0 for every (c, e)} (c of unit norm). */
  private static final class Search {
    final List<Stage> stages;
    final int d;
    final long deadline;
    int regions;
    long lps;
    boolean cut;
    double bestNorm = -1;
    double[] bestX;
    double[] bestDir;
    double bestRadius;

    Search(List<Stage> stages, int d, long deadline) {
      this.stages = stages;
      this.d = d;
      this.deadline = deadline;
    }

    /**
     * Stage k, neuron j: the pre-activations of stage k are z = P x + q over the region (P = W_k A, q = W_k c + b_k),
     * slopes/offsets of the neurons decided so far in sl/off.
     */
    void descend(int k, int j, double[][] a, double[] c, List<double[]> cons, double[] sl, double[] off) {
      if (cut || regions >= MAX_REGIONS || (deadline != 0 && System.nanoTime() > deadline)) {
        cut = true;
        return;
      }
      Stage st = stages.get(k);
      int n = st.w().rows();
      double[][] p = new double[n][d];
      double[] q = new double[n];
      for (int r = 0; r < n; r++) {
        double qr = st.b()[r];
        for (int t = 0; t < st.w().cols(); t++) {
          double wv = st.w().get(r, t);
          qr += wv * c[t];
          for (int u = 0; u < d; u++) {
            p[r][u] += wv * a[t][u];
          }
        }
        q[r] = qr;
      }
      if (st.act() == null) {
        leaf(p, cons);
        return;
      }
      if (sl == null) {
        sl = new double[n];
        off = new double[n];
      }
      if (j == n) { // every neuron of stage k decided: the next stage's input is diag(sl)(Px + q) + off
        double[][] na = new double[n][d];
        double[] nc = new double[n];
        for (int r = 0; r < n; r++) {
          for (int u = 0; u < d; u++) {
            na[r][u] = sl[r] * p[r][u];
          }
          nc[r] = sl[r] * q[r] + off[r];
        }
        descend(k + 1, 0, na, nc, cons, null, null);
        return;
      }
      double[] bp = pieces(st.act());
      double norm = 0;
      for (double v : p[j]) {
        norm += v * v;
      }
      norm = Math.sqrt(norm);
      for (int piece = 0; piece <= bp.length; piece++) {
        double lo = piece == 0 ? Double.NEGATIVE_INFINITY : bp[piece - 1];
        double hi = piece == bp.length ? Double.POSITIVE_INFINITY : bp[piece];
        double mid = Double.isInfinite(lo) ? (Double.isInfinite(hi) ? 0 : hi - 1) : (Double.isInfinite(hi) ? lo + 1 : (lo + hi) / 2);
        List<double[]> next = new ArrayList<>(cons);
        if (norm == 0) {
          if (!(q[j] >= lo && q[j] <= hi) || (q[j] == hi && !Double.isInfinite(hi) && piece < bp.length && q[j] != lo)) {
            continue; // constant pre-activation: only its own piece
          }
        } else {
          if (!Double.isInfinite(lo)) {
            next.add(constraint(p[j], q[j] - lo, norm, 1));
          }
          if (!Double.isInfinite(hi)) {
            next.add(constraint(p[j], hi - q[j], norm, -1));
          }
          lps++;
          if (Lp.maxMargin(next, d, BOX) == null) {
            continue;
          }
        }
        double slope = st.act().derivative(mid);
        double[] sl2 = sl.clone();
        double[] off2 = off.clone();
        sl2[j] = slope;
        off2[j] = st.act().apply(mid) - slope * mid;
        descend(k, j + 1, a, c, next, sl2, off2);
        if (cut) {
          return;
        }
      }
    }

    /** c·x + e ≥ 0 with c = sign·p/‖p‖ and e = value/‖p‖ (value = q − lo or hi − q). */
    private static double[] constraint(double[] p, double value, double norm, int sign) {
      double[] row = new double[p.length + 1];
      for (int u = 0; u < p.length; u++) {
        row[u] = sign * p[u] / norm;
      }
      row[p.length] = value / norm;
      return row;
    }

    void leaf(double[][] jac, List<double[]> cons) {
      regions++;
      double[] pt = Lp.maxMargin(cons, d, BOX);
      lps++;
      if (pt == null) {
        return;
      }
      // ‖J‖ from JᵀJ (d × d) by Jacobi rotations, with its top eigenvector
      double[][] g = new double[d][d];
      for (double[] row : jac) {
        for (int u = 0; u < d; u++) {
          for (int v = 0; v < d; v++) {
            g[u][v] += row[u] * row[v];
          }
        }
      }
      double[][] vec = new double[d][d];
      double top = Jacobi.top(g, vec);
      double nrm = Math.sqrt(Math.max(top, 0));
      if (nrm > bestNorm) {
        bestNorm = nrm;
        bestX = java.util.Arrays.copyOf(pt, d);
        bestDir = vec[0];
        bestRadius = Math.min(pt[d], 1.0);
      }
    }
  }

  /** Small symmetric eigenproblems (d ≤ 4). */
  static final class Jacobi {
    /** λ_max of g (destroyed); out[0] gets its unit eigenvector. */
    static double top(double[][] g, double[][] out) {
      int n = g.length;
      double[][] v = new double[n][n];
      for (int i = 0; i < n; i++) {
        v[i][i] = 1;
      }
      for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (int p = 0; p < n; p++) {
          for (int q = p + 1; q < n; q++) {
            off += g[p][q] * g[p][q];
          }
        }
        if (off < 1e-300) {
          break;
        }
        for (int p = 0; p < n; p++) {
          for (int q = p + 1; q < n; q++) {
            if (g[p][q] == 0) {
              continue;
            }
            double theta = (g[q][q] - g[p][p]) / (2 * g[p][q]);
            double t = theta == 0 ? 1 : Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
            double cs = 1 / Math.sqrt(t * t + 1);
            double sn = t * cs;
            rotateColumns(g, p, q, cs, sn);
            rotateRows(g, p, q, cs, sn);
            rotateColumns(v, p, q, cs, sn);
          }
        }
      }
      int best = 0;
      for (int i = 1; i < n; i++) {
        if (g[i][i] > g[best][best]) {
          best = i;
        }
      }
      double[] e = new double[n];
      for (int k = 0; k < n; k++) {
        e[k] = v[k][best];
      }
      out[0] = e;
      return g[best][best];
    }

    /** Columns p and q of m rotated by the Givens rotation (cs, sn): m ← m·G. */
    private static void rotateColumns(double[][] m, int p, int q, double cs, double sn) {
      for (double[] row : m) {
        double mp = row[p];
        double mq = row[q];
        row[p] = cs * mp - sn * mq;
        row[q] = sn * mp + cs * mq;
      }
    }

    /** Rows p and q of m rotated by the same rotation: m ← Gᵀ·m. */
    private static void rotateRows(double[][] m, int p, int q, double cs, double sn) {
      double[] rp = m[p];
      double[] rq = m[q];
      for (int k = 0; k < rp.length; k++) {
        double a = rp[k];
        double b = rq[k];
        rp[k] = cs * a - sn * b;
        rq[k] = sn * a + cs * b;
      }
    }
  }

  /** A dense simplex for the margin LP: max t s.t. cᵢ·x + eᵢ ≥ t, x in the box, t ≤ 1 (Bland's rule). */
  static final class Lp {
    /** The point (x, t) of the largest margin t, or null when t &lt; {@link #MARGIN}. */
    static double[] maxMargin(List<double[]> given, int d, double box) {
      List<double[]> cons = new ArrayList<>(given);
      for (int u = 0; u < d; u++) { // the box's faces count like the region's: x_u + box ≥ t, box − x_u ≥ t
        double[] lo = new double[d + 1];
        lo[u] = 1;
        lo[d] = box;
        double[] hi = new double[d + 1];
        hi[u] = -1;
        hi[d] = box;
        cons.add(lo);
        cons.add(hi);
      }
      int m = cons.size();
      // x = y − box·𝟙, t = s − T with y, s ≥ 0; rows: −c·y + s ≤ e − box·Σc + T; y_u ≤ 2·box; s ≤ T + 1
      double big = 1;
      for (double[] c : cons) {
        double sum = 0;
        for (int u = 0; u < d; u++) {
          sum += c[u];
        }
        big = Math.max(big, box * sum - c[d] + 1);
      }
      int rows = m + d + 1;
      int vars = d + 1;
      int cols = vars + rows + 1; // variables, slacks, rhs
      double[][] tab = new double[rows + 1][cols];
      int[] basis = new int[rows];
      for (int i = 0; i < m; i++) {
        double[] c = cons.get(i);
        double sum = 0;
        for (int u = 0; u < d; u++) {
          tab[i][u] = -c[u];
          sum += c[u];
        }
        tab[i][d] = 1;
        tab[i][cols - 1] = c[d] - box * sum + big;
      }
      for (int u = 0; u < d; u++) {
        tab[m + u][u] = 1;
        tab[m + u][cols - 1] = 2 * box;
      }
      tab[m + d][d] = 1;
      tab[m + d][cols - 1] = big + 1;
      for (int i = 0; i < rows; i++) {
        tab[i][vars + i] = 1;
        basis[i] = vars + i;
      }
      tab[rows][d] = -1; // maximise s: reduced costs −1
      for (int it = 0; it < 50 * (rows + cols); it++) {
        int enter = -1;
        for (int jv = 0; jv < cols - 1; jv++) {
          if (tab[rows][jv] < -1e-12) {
            enter = jv;
            break;
          }
        }
        if (enter < 0) {
          break;
        }
        int leave = -1;
        double best = Double.POSITIVE_INFINITY;
        for (int i = 0; i < rows; i++) {
          if (tab[i][enter] > 1e-12) {
            double r = tab[i][cols - 1] / tab[i][enter];
            if (r < best - 1e-15 || (Math.abs(r - best) <= 1e-15 && leave >= 0 && basis[i] < basis[leave])) {
              best = r;
              leave = i;
            }
          }
        }
        if (leave < 0) {
          return null; // unbounded cannot happen with the box; treat as a failure
        }
        double pv = tab[leave][enter];
        for (int jv = 0; jv < cols; jv++) {
          tab[leave][jv] /= pv;
        }
        for (int i = 0; i <= rows; i++) {
          if (i != leave && tab[i][enter] != 0) {
            double f = tab[i][enter];
            for (int jv = 0; jv < cols; jv++) {
              tab[i][jv] -= f * tab[leave][jv];
            }
          }
        }
        basis[leave] = enter;
      }
      double[] z = new double[vars];
      for (int i = 0; i < rows; i++) {
        if (basis[i] < vars) {
          z[basis[i]] = tab[i][cols - 1];
        }
      }
      double[] out = new double[d + 1];
      for (int u = 0; u < d; u++) {
        out[u] = z[u] - box;
      }
      out[d] = z[d] - big;
      // re-check the margin on the constraints themselves (the tableau's rounding is not trusted)
      double margin = out[d];
      for (double[] c : cons) {
        double v = c[d];
        for (int u = 0; u < d; u++) {
          v += c[u] * out[u];
        }
        margin = Math.min(margin, v);
      }
      for (int u = 0; u < d; u++) {
        margin = Math.min(margin, Math.min(out[u] + box, box - out[u]));
      }
      if (!(margin >= MARGIN)) {
        return null;
      }
      out[d] = margin;
      return out;
    }
  }

  private static DenseMatrix multiply(DenseMatrix a, DenseMatrix b) {
    double[] c = new double[a.rows() * b.cols()];
    for (int i = 0; i < a.rows(); i++) {
      for (int k = 0; k < a.cols(); k++) {
        double v = a.get(i, k);
        for (int j = 0; j < b.cols(); j++) {
          c[i * b.cols() + j] += v * b.get(k, j);
        }
      }
    }
    return new DenseMatrix(a.rows(), b.cols(), c);
  }
}
