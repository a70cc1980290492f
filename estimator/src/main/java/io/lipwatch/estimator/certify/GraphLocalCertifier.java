package io.lipwatch.estimator.certify;

import io.lipwatch.estimator.linalg.Conv2dOperator;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.DiagonalOperator;
import io.lipwatch.estimator.linalg.LinearOperator;
import io.lipwatch.estimator.linalg.OperatorNorms;
import io.lipwatch.estimator.linalg.SparseMatrix;
import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;

/**
 * Local certificates on the ball B(x, ε) of any {@link ExtractedNetwork} built from affine maps (dense, convolution,
 * batch norm, average pooling: any {@link LinearOperator} whose |A| is an operator of the same kind), monotone
 * element-wise activations, max pooling, sums and concatenations — CNNs and DAGs, where {@link LocalCertifier} (dense
 * chains) does not apply.
 *
 * <p>Why it is sound. (1) Interval bounds of every node on the ball, per op: an affine map sends a box of centre c and
 * radius r into A c + b ± |A| r (for a convolution |A| is the convolution with |K|: the positive/negative kernel split),
 * a monotone activation maps [lo, hi] to [φ(lo), φ(hi)], max pooling maps boxes to [max lo, max hi], sums and
 * concatenations are exact. Each node is also inside a Lipschitz enclosure around its value at x: |Δv_i| ≤ ‖Δv‖₂ ≤
 * L_v·ε for every coordinate, and for an affine row |Δz_i| ≤ ‖A[i,:] ∘ s̄‖₂·L·ε when it reads an activation (s̄ the
 * largest secant slope on each neuron's interval, L a bound of the activation's input) or ε‖A[i,:]‖₂ when it reads x.
 * The value at x itself is enclosed by the same interval pass at ε = 0 (so no separate forward error analysis).
 * (2) Secant Jacobians: for x, x′ in the ball each node's change is a linear image of its inputs' changes — A for an
 * affine map, a diagonal of slopes in the neuron's slope range ({@link SlopeRange}) for an activation, and for max
 * pooling a convex combination of the window's changes supported on the entries that can be the maximum on the ball
 * (max a′ − max a lies between Δa at argmax a and Δa at argmax a′, both with hi ≥ max lo). Composing them over the DAG,
 * m(x′) − m(x) = gᵀ(x′ − x) for the margin m = z_y − z_j, with g in the set obtained by back-propagating e_y − e_j
 * through those ranges. (3) That set is enclosed coordinate-wise (centre and radius through Aᵀ and |A|ᵀ, interval
 * products with the slopes, a [min(0, g), max(0, g)] share for every max-pool candidate, interval sums where a node
 * feeds several others), so ‖g‖₂ is at most the enclosure's largest norm; at a node every path from the input passes
 * through, the enclosure there times that node's Lipschitz bound on the ball bounds |Δm|/ε too; the least is kept,
 * never above the pairwise bound. A pair is certified when the interval bounds alone separate the two logits on the
 * ball, or when the margin at x (its lower enclosure) exceeds the bound times ε.
 *
 * <p>Floating point: every product of an operator with a vector carries γ_n (n its input dimension, {@link Rounding})
 * times the product of the absolute values; activation values are widened by a few ulps; sums of enclosures round
 * outward.
 */
final class GraphLocalCertifier {
  private final ExtractedNetwork net;
  private final int m;
  private final LinearOperator[] abs;
  private final LinearOperator[] sq;
  private final double[] norm;
  private final double[] gam;
  /** cut[n]: every path from the input to the output passes through node n (no later node reads an earlier value). */
  private final boolean[] cut;

  private GraphLocalCertifier(ExtractedNetwork net, long deadline) {
    this.net = net;
    this.m = net.nodes().size();
    abs = new LinearOperator[m];
    sq = new LinearOperator[m];
    norm = new double[m];
    gam = new double[m];
    for (int n = 0; n < m; n++) {
      if (net.nodes().get(n).op() instanceof Op.Affine af) {
        LinearOperator a = af.linear();
        abs[n] = entrywise(a, false);
        sq[n] = entrywise(a, true);
        norm[n] = (deadline != 0 && System.nanoTime() > deadline ? OperatorNorms.cheap(a) : OperatorNorms.sound(a)).value();
        gam[n] = Rounding.gamma(a.inDim() + 2L);
      }
    }
    cut = new boolean[m];
    int minLater = Integer.MAX_VALUE;
    for (int n = m - 1; n >= 0; n--) {
      cut[n] = minLater >= n;
      for (int in : net.nodes().get(n).inputs()) {
        minLater = Math.min(minLater, in);
      }
    }
  }

  /** Why the certificate does not apply to {@code net}, or null when it does. */
  static String inapplicable(ExtractedNetwork net) {
    for (Node n : net.nodes()) {
      Op op = n.op();
      if (op instanceof Op.Affine af) {
        if (entrywise(af.linear(), false) == null) {
          return "linear map " + af.linear().getClass().getSimpleName() + " of " + n.name() + " has no |A| operator";
        }
      } else if (op instanceof Op.Activation a) {
        if (!SlopeRange.monotone(a.spec())) {
          return "activation " + a.spec().name() + " of " + n.name() + " is not monotone element-wise";
        }
      } else if (!(op instanceof Op.MaxPool || op instanceof Op.Sum || op instanceof Op.Concat)) {
        return "op " + op.getClass().getSimpleName() + " of " + n.name() + " has no interval form";
      }
    }
    return null;
  }

  /**
   * The certifier of {@code net} ({@link #inapplicable} must be null); proves every affine map's norm once (the cheap
   * Hölder bound once {@code deadline}, a System.nanoTime() value, has passed; 0: none).
   */
  static GraphLocalCertifier of(ExtractedNetwork net, long deadline) {
    String why = inapplicable(net);
    if (why != null) {
      throw new IllegalArgumentException(why);
    }
    return new GraphLocalCertifier(net, deadline);
  }

  /** Whether z_y stays above z_j on the ball: by the intervals alone, else by the margin's Lipschitz bound there. */
  boolean certifies(Enclosure at, Enclosure ball, int y, int j, double cap) {
    if (ball.logitsLo()[y] > ball.logitsHi()[j]) {
      return true;
    }
    double lip = marginLipschitzBall(ball, y, j, cap);
    return clears(at, ball, y, j, lip) || clears(at, ball, y, j, marginLipschitz(ball, y, j, lip));
  }

  /** |A| (or A∘A, entries rounded up) as an operator of the same kind; null for a kind it does not know. */
  static LinearOperator entrywise(LinearOperator a, boolean square) {
    if (a instanceof DenseMatrix d) {
      return new DenseMatrix(d.rows(), d.cols(), map(d.data(), square));
    }
    if (a instanceof Conv2dOperator c) {
      return new Conv2dOperator(c.cIn(), c.inH(), c.inW(), c.cOut(), c.outH(), c.outW(), c.kH(), c.kW(), c.sH(), c.sW(),
          c.dH(), c.dW(), c.padTop(), c.padLeft(), map(c.kernel(), square));
    }
    if (a instanceof DiagonalOperator d) {
      return new DiagonalOperator(map(d.diag(), square));
    }
    if (a instanceof SparseMatrix s) {
      return new SparseMatrix(s.rows(), s.cols(), s.rowStart(), s.colIndex(), map(s.values(), square));
    }
    return null;
  }

  private static double[] map(double[] v, boolean square) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = square ? Math.nextUp(v[i] * v[i]) : Math.abs(v[i]);
    }
    return out;
  }

  /**
   * Enclosures of every node on a ball (or, at ε = 0, of the exact values at x).
   *
   * @param lo     per node, lower ends
   * @param hi     per node, upper ends
   * @param slopeLo per activation node, least secant slope of each neuron (null elsewhere)
   * @param slopeHi per activation node, largest secant slope
   * @param lip    per node, a Lipschitz bound of its value as a function of x on the ball
   * @param inLo   the input box's lower ends
   * @param inHi   the input box's upper ends
   */
  record Enclosure(double eps, double[][] lo, double[][] hi, double[][] slopeLo, double[][] slopeHi, double[] lip,
      double[] inLo, double[] inHi) {
    double[] logitsLo() {
      return lo[lo.length - 1];
    }

    double[] logitsHi() {
      return hi[hi.length - 1];
    }
  }

  /** The enclosure of the exact values at x (ε = 0): margins at x are at least logitsLo[y] − logitsHi[j]. */
  Enclosure point(double[] x) {
    return enclose(x, 0, null);
  }

  /** Interval bounds of every node on B(x, eps), intersected with the Lipschitz enclosures around {@code at}. */
  Enclosure ball(Enclosure at, double[] x, double eps) {
    return enclose(x, eps, at);
  }

  private Enclosure enclose(double[] x, double eps, Enclosure at) {
    double[][] lo = new double[m][];
    double[][] hi = new double[m][];
    double[][] sLo = new double[m][];
    double[][] sHi = new double[m][];
    double[] lip = new double[m];
    int d = x.length;
    double[] xl = new double[d];
    double[] xh = new double[d];
    for (int i = 0; i < d; i++) {
      xl[i] = eps == 0 ? x[i] : Math.nextDown(x[i] - eps);
      xh[i] = eps == 0 ? x[i] : Math.nextUp(x[i] + eps);
    }
    for (int n = 0; n < m; n++) {
      Node node = net.nodes().get(n);
      int[] in = node.inputs();
      double[] l;
      double[] h;
      Op op = node.op();
      if (op instanceof Op.Affine af) {
        int p = in[0];
        double[][] box = affine(n, af, p < 0 ? xl : lo[p], p < 0 ? xh : hi[p]);
        l = box[0];
        h = box[1];
        double lipIn = p < 0 ? 1 : lip[p];
        lip[n] = Math.nextUp(norm[n] * lipIn);
        if (at != null) {
          double[] row = rowLipschitz(n, af.linear(), p, sHi, lip);
          double f = 0;
          for (int i = 0; i < row.length; i++) {
            f = Math.nextUp(f + Math.nextUp(row[i] * row[i]));
          }
          // the row bounds already carry the input's Lipschitz bound: their L2 sum bounds the whole map
          lip[n] = Math.min(lip[n], Math.nextUp(Math.sqrt(f)));
          for (int i = 0; i < l.length; i++) {
            double r = Math.nextUp(row[i] * eps);
            intersect(l, h, i, Math.nextDown(at.lo()[n][i] - r), Math.nextUp(at.hi()[n][i] + r));
          }
        }
      } else if (op instanceof Op.Activation a) {
        int p = in[0];
        double[] pl = p < 0 ? xl : lo[p];
        double[] ph = p < 0 ? xh : hi[p];
        ActivationSpec s = a.spec();
        l = new double[pl.length];
        h = new double[pl.length];
        sLo[n] = new double[pl.length];
        sHi[n] = new double[pl.length];
        double sMax = 0;
        for (int i = 0; i < l.length; i++) {
          l[i] = Rounding.down(s.apply(pl[i]));
          h[i] = Rounding.up(s.apply(ph[i]));
          double[] sr = SlopeRange.of(s, pl[i], ph[i]);
          sLo[n][i] = sr[0];
          sHi[n][i] = sr[1];
          sMax = Math.max(sMax, sr[1]);
        }
        lip[n] = Math.nextUp(sMax * (p < 0 ? 1 : lip[p]));
      } else if (op instanceof Op.MaxPool mp) {
        int p = in[0];
        double[] pl = p < 0 ? xl : lo[p];
        double[] ph = p < 0 ? xh : hi[p];
        int k = mp.windows().length;
        l = new double[k];
        h = new double[k];
        for (int r = 0; r < k; r++) {
          double a = Double.NEGATIVE_INFINITY;
          double b = Double.NEGATIVE_INFINITY;
          for (int i : mp.windows()[r]) {
            a = Math.max(a, pl[i]);
            b = Math.max(b, ph[i]);
          }
          l[r] = a;
          h[r] = b;
        }
        lip[n] = Math.nextUp(Math.nextUp(mp.lipschitz()) * (p < 0 ? 1 : lip[p]));
      } else if (op instanceof Op.Sum s) {
        int k = node.outDim();
        double[] c = new double[k];
        double[] r = new double[k];
        double[] a = new double[k];
        double lp = 0;
        for (int j = 0; j < in.length; j++) {
          double cj = s.coeffs()[j];
          double[] pl = in[j] < 0 ? xl : lo[in[j]];
          double[] ph = in[j] < 0 ? xh : hi[in[j]];
          for (int i = 0; i < k; i++) {
            double mid = 0.5 * (pl[i] + ph[i]);
            double rad = Math.nextUp(Math.max(ph[i] - mid, mid - pl[i]));
            c[i] += cj * mid;
            r[i] = Math.nextUp(r[i] + Math.nextUp(Math.abs(cj) * rad));
            a[i] = Math.nextUp(a[i] + Math.nextUp(Math.abs(cj * mid)));
          }
          lp = Math.nextUp(lp + Math.nextUp(Math.abs(cj) * (in[j] < 0 ? 1 : lip[in[j]])));
        }
        double g = Rounding.gamma(in.length + 2L);
        l = new double[k];
        h = new double[k];
        for (int i = 0; i < k; i++) {
          double ri = Math.nextUp(r[i] + Math.nextUp(g * (a[i] + Math.abs(c[i]))));
          l[i] = Math.nextDown(c[i] - ri);
          h[i] = Math.nextUp(c[i] + ri);
        }
        lip[n] = lp;
      } else if (op instanceof Op.Concat) {
        l = new double[node.outDim()];
        h = new double[node.outDim()];
        int off = 0;
        double l2 = 0;
        for (int j : in) {
          double[] pl = j < 0 ? xl : lo[j];
          double[] ph = j < 0 ? xh : hi[j];
          System.arraycopy(pl, 0, l, off, pl.length);
          System.arraycopy(ph, 0, h, off, ph.length);
          off += pl.length;
          double lj = j < 0 ? 1 : lip[j];
          l2 = Math.nextUp(l2 + Math.nextUp(lj * lj));
        }
        lip[n] = Math.nextUp(Math.sqrt(l2));
      } else {
        throw new IllegalStateException("no interval form for " + op);
      }
      if (at != null && !(op instanceof Op.Affine)) {
        // every coordinate moves by at most the node's L2 change
        double r = Math.nextUp(lip[n] * eps);
        for (int i = 0; i < l.length; i++) {
          intersect(l, h, i, Math.nextDown(at.lo()[n][i] - r), Math.nextUp(at.hi()[n][i] + r));
        }
      }
      lo[n] = l;
      hi[n] = h;
    }
    return new Enclosure(eps, lo, hi, sLo, sHi, lip, xl, xh);
  }

  /** Narrows [l_i, h_i] to its intersection with [a, b] (both enclose the same value, so the intersection is not empty
   * unless rounding made it so; then the first is kept). */
  private static void intersect(double[] l, double[] h, int i, double a, double b) {
    double nl = Math.max(l[i], a);
    double nh = Math.min(h[i], b);
    if (nl <= nh) {
      l[i] = nl;
      h[i] = nh;
    }
  }

  /** A x + b over the box [pl, ph]: centre and radius, with the products' rounding. */
  private double[][] affine(int n, Op.Affine af, double[] pl, double[] ph) {
    LinearOperator a = af.linear();
    int k = pl.length;
    double[] mid = new double[k];
    double[] rad = new double[k];
    double[] am = new double[k];
    for (int i = 0; i < k; i++) {
      mid[i] = 0.5 * (pl[i] + ph[i]);
      rad[i] = Math.nextUp(Math.max(ph[i] - mid[i], mid[i] - pl[i]));
      am[i] = Math.abs(mid[i]);
    }
    int o = a.outDim();
    double[] c = new double[o];
    double[] r = new double[o];
    double[] t = new double[o];
    a.apply(mid, c);
    abs[n].apply(rad, r);
    abs[n].apply(am, t);
    double g = gam[n];
    double[] b = af.bias();
    double[] l = new double[o];
    double[] h = new double[o];
    for (int i = 0; i < o; i++) {
      double bi = b == null ? 0 : b[i];
      double cc = c[i] + bi;
      double ri = Math.nextUp(Math.nextUp(r[i] + g * (t[i] + Math.abs(bi) + Math.abs(cc) + r[i])) * (1 + 2 * g));
      l[i] = Math.nextDown(cc - ri);
      h[i] = Math.nextUp(cc + ri);
    }
    return new double[][] {l, h};
  }

  /**
   * Per row i of the affine node n, a bound of |Δz_i|/ε on the ball: ‖A[i,:]‖₂ when it reads x; ‖A[i,:] ∘ s̄‖₂ times
   * the activation input's bound when it reads an activation (secant slopes at most s̄); else ‖A[i,:]‖₂ times the input's.
   */
  private double[] rowLipschitz(int n, LinearOperator a, int p, double[][] sHi, double[] lip) {
    int k = a.inDim();
    double[] w = new double[k];
    double factor;
    Node pn = p < 0 ? null : net.nodes().get(p);
    if (pn != null && pn.op() instanceof Op.Activation) {
      int q = pn.inputs()[0];
      for (int j = 0; j < k; j++) {
        w[j] = Math.nextUp(sHi[p][j] * sHi[p][j]);
      }
      factor = q < 0 ? 1 : lip[q];
    } else {
      java.util.Arrays.fill(w, 1.0);
      factor = p < 0 ? 1 : lip[p];
    }
    double[] s = new double[a.outDim()];
    sq[n].apply(w, s);
    double g = gam[n];
    for (int i = 0; i < s.length; i++) {
      s[i] = Math.nextUp(Math.nextUp(Math.sqrt(Math.nextUp(s[i] * (1 + 2 * g)))) * factor);
    }
    return s;
  }

  /**
   * A Lipschitz bound of z_y − z_j on the ball of {@code e} (see the class documentation, (2) and (3)); {@code cap}
   * (the pairwise bound, valid everywhere) when nothing is smaller.
   */
  double marginLipschitz(Enclosure e, int y, int j, double cap) {
    double[][] gl = new double[m][];
    double[][] gh = new double[m][];
    int k = net.outputDim();
    gl[m - 1] = new double[k];
    gh[m - 1] = new double[k];
    gl[m - 1][y] = gh[m - 1][y] = 1;
    gl[m - 1][j] = gh[m - 1][j] = -1;
    double[] xl = new double[net.inputDim()];
    double[] xh = new double[net.inputDim()];
    boolean[] touched = new boolean[m];
    boolean[] xTouched = {false};
    double best = cap;
    for (int n = m - 1; n >= 0; n--) {
      double[] a = gl[n];
      double[] b = gh[n];
      if (a == null) {
        continue;
      }
      if (cut[n]) {
        best = Math.min(best, Math.nextUp(Rounding.boxNormUp(a, b) * e.lip()[n]));
      }
      Node node = net.nodes().get(n);
      int[] in = node.inputs();
      Op op = node.op();
      if (op instanceof Op.Affine af) {
        LinearOperator w = af.linear();
        int o = a.length;
        double[] bc = new double[o];
        double[] rc = new double[o];
        double g = gam[n];
        for (int i = 0; i < o; i++) {
          bc[i] = 0.5 * (a[i] + b[i]);
          double r = Math.nextUp(Math.max(b[i] - bc[i], bc[i] - a[i]));
          rc[i] = Math.nextUp(r + Math.nextUp(g * Math.abs(bc[i])));
        }
        int d = w.inDim();
        double[] nc = new double[d];
        double[] nr = new double[d];
        w.applyTranspose(bc, nc);
        abs[n].applyTranspose(rc, nr);
        double[] l = new double[d];
        double[] h = new double[d];
        for (int i = 0; i < d; i++) {
          double ri = Math.nextUp(nr[i] * (1 + 2 * g));
          l[i] = Math.nextDown(nc[i] - ri);
          h[i] = Math.nextUp(nc[i] + ri);
        }
        add(gl, gh, touched, xl, xh, xTouched, in[0], l, h);
      } else if (op instanceof Op.Activation) {
        double[] sl = e.slopeLo()[n];
        double[] sh = e.slopeHi()[n];
        double[] l = new double[a.length];
        double[] h = new double[a.length];
        for (int i = 0; i < a.length; i++) {
          // slopes are ≥ 0, so the product interval's ends are these
          double p = a[i] >= 0 ? sl[i] * a[i] : sh[i] * a[i];
          double q = b[i] >= 0 ? sh[i] * b[i] : sl[i] * b[i];
          l[i] = p == 0 ? 0 : Math.nextDown(p);
          h[i] = q == 0 ? 0 : Math.nextUp(q);
        }
        add(gl, gh, touched, xl, xh, xTouched, in[0], l, h);
      } else if (op instanceof Op.MaxPool mp) {
        int p = in[0];
        double[] pl = p < 0 ? e.inLo() : e.lo()[p];
        double[] ph = p < 0 ? e.inHi() : e.hi()[p];
        double[] l = new double[mp.inDim()];
        double[] h = new double[mp.inDim()];
        for (int r = 0; r < a.length; r++) {
          int[] win = mp.windows()[r];
          double top = windowFloor(win, pl);
          int candidates = candidates(win, ph, top);
          double ra = candidates == 1 ? a[r] : Math.min(0, a[r]);
          double rb = candidates == 1 ? b[r] : Math.max(0, b[r]);
          for (int i : win) {
            if (ph[i] >= top) {
              l[i] = l[i] == 0 ? ra : Math.nextDown(l[i] + ra);
              h[i] = h[i] == 0 ? rb : Math.nextUp(h[i] + rb);
            }
          }
        }
        add(gl, gh, touched, xl, xh, xTouched, p, l, h);
      } else if (op instanceof Op.Sum s) {
        for (int q = 0; q < in.length; q++) {
          double c = s.coeffs()[q];
          double[] l = new double[a.length];
          double[] h = new double[a.length];
          for (int i = 0; i < a.length; i++) {
            double u = c >= 0 ? c * a[i] : c * b[i];
            double v = c >= 0 ? c * b[i] : c * a[i];
            l[i] = u == 0 ? 0 : Math.nextDown(u);
            h[i] = v == 0 ? 0 : Math.nextUp(v);
          }
          add(gl, gh, touched, xl, xh, xTouched, in[q], l, h);
        }
      } else if (op instanceof Op.Concat) {
        int off = 0;
        for (int q : in) {
          int len = q < 0 ? net.inputDim() : net.nodes().get(q).outDim();
          add(gl, gh, touched, xl, xh, xTouched, q, java.util.Arrays.copyOfRange(a, off, off + len),
              java.util.Arrays.copyOfRange(b, off, off + len));
          off += len;
        }
      }
      gl[n] = null; // done with this node: keep memory flat on deep networks
      gh[n] = null;
    }
    return Math.min(best, Rounding.boxNormUp(xl, xh));
  }

  /**
   * The same product set enclosed as a ball: an exact centre vector c (the slope ranges' midpoints, a uniform share of
   * each max-pool window's candidates) and an L2 radius ρ with ‖g − c‖₂ ≤ ρ for every g of the set. Through an affine
   * map ρ grows by ‖A‖₂ (proven), through an activation S = M + E (|E| ≤ e, zero on stable neurons) by
   * ‖e ∘ c‖₂ on top of max(s̄)·ρ, through max pooling J = U + (J − U) by √mult·ρ plus a per-coordinate deviation
   * β_i = Σ_r |c_r|(1 − 1/|C_r|) over the windows r where input i is a candidate (rows of J are convex weights on the
   * candidates C_r, |λ_i − 1/|C_r|| ≤ 1 − 1/|C_r|), which the next activation scales by its largest slopes (‖s̄ ∘ β‖₂:
   * zero on inactive neurons, where tied windows are common) and any other op takes as ‖β‖₂; every computed centre
   * also adds its own rounding. Tight when few neurons are unstable, where the box adds up radii without cancellation.
   */
  double marginLipschitzBall(Enclosure e, int y, int j, double cap) {
    double[][] cs = new double[m][];
    double[] rho = new double[m];
    int k = net.outputDim();
    cs[m - 1] = new double[k];
    cs[m - 1][y] = 1;
    cs[m - 1][j] = -1;
    double[] cx = new double[net.inputDim()];
    double[] rx = {0};
    double[][] beta = new double[m][];
    double[] betaX = null;
    boolean[] touched = new boolean[m];
    double best = cap;
    for (int n = m - 1; n >= 0; n--) {
      double[] c = cs[n];
      if (c == null) {
        continue;
      }
      Node node = net.nodes().get(n);
      int[] in = node.inputs();
      Op op = node.op();
      double r = rho[n];
      // a max-pool deviation kept per coordinate: an activation next scales it by its slopes (0 on inactive neurons,
      // where tied windows are common); any other op takes its norm
      double betaAct = 0;
      if (beta[n] != null) {
        if (op instanceof Op.Activation) {
          double[] sh = e.slopeHi()[n];
          double[] sb = new double[sh.length];
          for (int i = 0; i < sb.length; i++) {
            sb[i] = Math.nextUp(sh[i] * beta[n][i]);
          }
          betaAct = Rounding.normUp(sb);
          if (cut[n]) {
            best = Math.min(best, Math.nextUp(Math.nextUp(Math.nextUp(Rounding.normUp(c) + r) + Rounding.normUp(beta[n]))
                * e.lip()[n]));
          }
        } else {
          r = Math.nextUp(r + Rounding.normUp(beta[n]));
        }
        beta[n] = null;
      }
      if (cut[n] && !(op instanceof Op.Activation && betaAct > 0)) {
        best = Math.min(best, Math.nextUp(Math.nextUp(Rounding.normUp(c) + r) * e.lip()[n]));
      }
      if (op instanceof Op.Affine af) {
        LinearOperator w = af.linear();
        int d = w.inDim();
        double[] nc = new double[d];
        w.applyTranspose(c, nc);
        double[] ac = new double[c.length];
        for (int i = 0; i < c.length; i++) {
          ac[i] = Math.abs(c[i]);
        }
        double[] t = new double[d];
        abs[n].applyTranspose(ac, t);
        double g = gam[n];
        double round = Math.nextUp(g * Math.nextUp(Rounding.normUp(t) * (1 + 2 * g)));
        addBall(cs, rho, touched, cx, rx, in[0], nc, Math.nextUp(Math.nextUp(norm[n] * r) + round));
      } else if (op instanceof Op.Activation) {
        double[] sl = e.slopeLo()[n];
        double[] sh = e.slopeHi()[n];
        double[] nc = new double[c.length];
        double e2 = 0;
        double sMax = 0;
        for (int i = 0; i < c.length; i++) {
          double mid = 0.5 * (sl[i] + sh[i]);
          double half = Math.nextUp(Math.max(sh[i] - mid, mid - sl[i]));
          double ec = Math.nextUp(half * Math.abs(c[i]));
          e2 = Math.nextUp(e2 + Math.nextUp(ec * ec));
          nc[i] = mid * c[i];
          sMax = Math.max(sMax, sh[i]);
        }
        double round = Math.nextUp(Rounding.U * Rounding.normUp(nc) * (1 + 4 * Rounding.U));
        double nr = Math.nextUp(Math.nextUp(Math.nextUp(sMax * r) + Math.nextUp(Math.sqrt(e2))) + round);
        addBall(cs, rho, touched, cx, rx, in[0], nc, Math.nextUp(nr + betaAct));
      } else if (op instanceof Op.MaxPool mp) {
        int p = in[0];
        double[] pl = p < 0 ? e.inLo() : e.lo()[p];
        double[] ph = p < 0 ? e.inHi() : e.hi()[p];
        double[] nc = new double[mp.inDim()];
        // per input coordinate, the deviation of the true weights from the uniform ones: |λ_i − 1/|C|| ≤ 1 − 1/|C|
        double[] dev = new double[mp.inDim()];
        for (int q = 0; q < c.length; q++) {
          int[] win = mp.windows()[q];
          double top = windowFloor(win, pl);
          int cand = candidates(win, ph, top);
          double share = c[q] / cand;
          for (int i : win) {
            if (ph[i] >= top) {
              nc[i] += share;
            }
          }
          if (cand > 1) {
            double v = Math.nextUp(Math.abs(c[q]) * (1 - 1.0 / cand) * (1 + 4 * Rounding.U));
            for (int i : win) {
              if (ph[i] >= top) {
                dev[i] = Math.nextUp(dev[i] + v);
              }
            }
          }
        }
        double mult = mp.maxMultiplicity();
        double sq = Math.nextUp(Math.sqrt(mult));
        double round = Math.nextUp(Rounding.gamma((long) mult + 3) * Math.nextUp(Rounding.normUp(c) * sq) * 2);
        double nr = Math.nextUp(Math.nextUp(sq * r) + round);
        addBall(cs, rho, touched, cx, rx, p, nc, nr);
        if (p < 0) {
          betaX = dev;
        } else if (beta[p] == null) {
          beta[p] = dev;
        } else {
          for (int i = 0; i < dev.length; i++) {
            beta[p][i] = Math.nextUp(beta[p][i] + dev[i]);
          }
        }
      } else if (op instanceof Op.Sum sm) {
        for (int q = 0; q < in.length; q++) {
          double cf = sm.coeffs()[q];
          double[] nc = new double[c.length];
          for (int i = 0; i < c.length; i++) {
            nc[i] = cf * c[i];
          }
          double round = Math.nextUp(Rounding.U * Rounding.normUp(nc) * (1 + 4 * Rounding.U));
          addBall(cs, rho, touched, cx, rx, in[q], nc, Math.nextUp(Math.nextUp(Math.abs(cf) * r) + round));
        }
      } else if (op instanceof Op.Concat) {
        int off = 0;
        for (int q : in) {
          int len = q < 0 ? net.inputDim() : net.nodes().get(q).outDim();
          addBall(cs, rho, touched, cx, rx, q, java.util.Arrays.copyOfRange(c, off, off + len), r);
          off += len;
        }
      }
      cs[n] = null;
    }
    double bx = betaX == null ? 0 : Rounding.normUp(betaX);
    return Math.min(best, Math.nextUp(Math.nextUp(Rounding.normUp(cx) + rx[0]) + bx));
  }

  /** The largest lower end in a max-pool window: an input whose upper end is below it is never the window's max. */
  private static double windowFloor(int[] win, double[] pl) {
    double top = Double.NEGATIVE_INFINITY;
    for (int i : win) {
      top = Math.max(top, pl[i]);
    }
    return top;
  }

  /** How many inputs of the window can be its max: those whose upper end reaches {@code top}. */
  private static int candidates(int[] win, double[] ph, double top) {
    int k = 0;
    for (int i : win) {
      if (ph[i] >= top) {
        k++;
      }
    }
    return k;
  }

  /** Adds the ball (c, r) into node {@code target}'s (or the input's): centres add (with their rounding), radii add. */
  private static void addBall(double[][] cs, double[] rho, boolean[] touched, double[] cx, double[] rx, int target,
      double[] c, double r) {
    if (target >= 0 && !touched[target]) {
      cs[target] = c;
      rho[target] = r;
      touched[target] = true;
      return;
    }
    double[] dst = target < 0 ? cx : cs[target];
    double e2 = 0;
    for (int i = 0; i < c.length; i++) {
      double a = dst[i];
      dst[i] = a + c[i];
      double err = Math.nextUp(Rounding.U * (Math.abs(a) + Math.abs(c[i])));
      e2 = Math.nextUp(e2 + Math.nextUp(err * err));
    }
    double add = Math.nextUp(r + Math.nextUp(Math.sqrt(e2)));
    if (target < 0) {
      rx[0] = Math.nextUp(rx[0] + add);
    } else {
      rho[target] = Math.nextUp(rho[target] + add);
    }
  }

  /** Adds the enclosure [l, h] into node {@code target}'s (or the input's, for −1), rounding the sums outward. */
  private static void add(double[][] gl, double[][] gh, boolean[] touched, double[] xl, double[] xh, boolean[] xTouched,
      int target, double[] l, double[] h) {
    if (target >= 0 && !touched[target]) {
      gl[target] = l;
      gh[target] = h;
      touched[target] = true;
      return;
    }
    double[] dl = target < 0 ? xl : gl[target];
    double[] dh = target < 0 ? xh : gh[target];
    boolean first = target < 0 && !xTouched[0];
    for (int i = 0; i < l.length; i++) {
      dl[i] = first ? l[i] : Math.nextDown(dl[i] + l[i]);
      dh[i] = first ? h[i] : Math.nextUp(dh[i] + h[i]);
    }
    if (target < 0) {
      xTouched[0] = true;
    }
  }

  /**
   * Whether the ball of {@code e} (around {@code at}, the enclosure at x) keeps z_y above z_j: by the interval bounds
   * alone, or by the margin at x exceeding {@code lip}·ε.
   */
  static boolean clears(Enclosure at, Enclosure e, int y, int j, double lip) {
    if (e.logitsLo()[y] > e.logitsHi()[j]) {
      return true;
    }
    double margin = Math.nextDown(at.logitsLo()[y] - at.logitsHi()[j]);
    return Double.isFinite(lip) && margin > Math.nextUp(lip * e.eps());
  }

  int nodes() {
    return m;
  }
}
