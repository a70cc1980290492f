package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.NormCertificate;
import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * {@code input-bnb}: a sound upper bound for networks with at most {@value #MAX_INPUTS} inputs and ReLU-type
 * activations (slopes s₋ below 0 and s₊ above, σ(0) = 0), on all of R^d, that converges to the exact constant.
 *
 * <p><b>Domain.</b> The network f(y) = W_L σ(… σ(W₁y + b₁) …) + b_L is written homogeneously as g(x, t) = t·f(x/t):
 * every bias b_k is multiplied by t, and g is positively homogeneous, so ∂g/∂x at (x, t) is the Jacobian of f at x/t.
 * Every y ∈ R^d is x/t for a point of the faces {t = 1, x ∈ [−1, 1]^d} and {x_i = ±1, t ∈ (0, 1]}; the sup of ‖J‖ over
 * those faces (t = 0 included: the bias-free network, the regions at infinity) is the Lipschitz constant of f on R^d.
 * Without biases t plays no part and the faces x_i = ±1 alone cover every ray (the origin, where every hyperplane
 * meets, is never in a box). So the value holds on the whole input space, the declared input domain included.
 *
 * <p><b>Per box.</b> Each pre-activation is carried as an affine form in the box's coordinates plus an error radius
 * (stable neurons exactly, unstable ones through the chord relaxation σ(v) = λv + [g₋, g₊]); every sum adds its
 * rounding allowance γ_{n+2}·Σ|terms| (Higham), so the interval of each pre-activation holds for the exact arithmetic.
 * A neuron whose interval excludes 0 is fixed; sup ‖J‖ over the box is at most the largest norm over the slope
 * patterns of the unstable neurons (‖·‖ is convex in each slope, so the vertices cover every Clarke Jacobian); with
 * more than {@value #MAX_UNSTABLE} unstable neurons (or too many patterns for the network's size), the norm of the entry-wise bound of an interval Jacobian. Each
 * pattern's norm is proven by {@link NormCertificate}'s Cholesky, plus a bound on the rounding of the matrix product.
 *
 * <p><b>Search.</b> The box with the largest bound is split at its widest side until every box is within
 * (1 + {@value #TOL}) of the largest Jacobian norm seen at box centres, or the budget ends. The value at any stop is
 * the largest bound over the leaves: sound.
 */
final class InputBranchAndBound implements BoundMethod {
  static final String METHOD = "input-bnb";
  static final int MAX_INPUTS = 4;
  static final int MAX_UNSTABLE = 10;
  static final double TOL = 1e-3;
  /** Boxes at most (a few hundred bytes each), whatever the budget. */
  static final int MAX_BOXES = 200_000;
  /**
   * Splits without the largest bound falling by a factor (1 + TOL) before the search stops: a point where more
   * hyperplanes meet than the dimension (duplicated neurons, say) keeps its relaxed bound however small its box.
   */
  static final int STALL = 20_000;
  /** Multiply-adds one box's pattern enumeration may take; beyond, the interval Jacobian. */
  static final double MAX_PATTERN_WORK = 2e7;
  static final double REPORT_MARGIN = 1e-9;
  private static final double U = 0x1p-53;
  private static final double TINY = 0x1p-1000;

  @Override
  public String name() {
    return METHOD;
  }

  @Override
  public Kind kind() {
    return Kind.SOUND_UPPER;
  }

  @Override
  public String inapplicable(ExtractedNetwork net) {
    if (net.inputDim() > MAX_INPUTS) {
      return METHOD + " applies to networks with at most " + MAX_INPUTS + " inputs";
    }
    return layers(net) == null ? METHOD + " applies to chains of dense layers with ReLU-type activations (kink at 0) only" : null;
  }

  /** One affine map z = W h + b·t, then the activation with slopes sn (z < 0) and sp (z > 0); NaN after the last. */
  record Layer(double[][] w, double[] b, double sn, double sp) {
    int rows() {
      return w.length;
    }

    int cols() {
      return w[0].length;
    }
  }

  /** The network as alternating affine maps and ReLU-type activations, or null. */
  static List<Layer> layers(ExtractedNetwork net) {
    if (!net.isChain()) {
      return null;
    }
    List<Layer> out = new ArrayList<>();
    DenseMatrix pending = null;
    double[] bias = null;
    for (Node n : net.nodes()) {
      if (n.op() instanceof Op.Affine a && pending == null) {
        pending = a.linear() instanceof DenseMatrix d ? d : a.linear().toDense();
        bias = a.bias() == null ? new double[pending.rows()] : a.bias();
      } else if (n.op() instanceof Op.Activation act && pending != null && reluType(act.spec())) {
        out.add(layer(pending, bias, act.spec().derivative(-1), act.spec().derivative(1)));
        pending = null;
      } else {
        return null;
      }
    }
    if (pending == null) {
      return null;
    }
    out.add(layer(pending, bias, Double.NaN, Double.NaN));
    return out;
  }

  private static boolean reluType(ActivationSpec a) {
    return ("relu".equals(a.name()) || "leakyrelu".equals(a.name()) || "identity".equals(a.name())) && a.apply(0) == 0
        && a.apply(-1) == -a.derivative(-1) && a.apply(1) == a.derivative(1);
  }

  private static Layer layer(DenseMatrix m, double[] b, double sn, double sp) {
    double[][] w = new double[m.rows()][m.cols()];
    for (int i = 0; i < m.rows(); i++) {
      for (int j = 0; j < m.cols(); j++) {
        w[i][j] = m.get(i, j);
      }
    }
    return new Layer(w, b.clone(), sn, sp);
  }

  static double gamma(long k) {
    return NormCertificate.gamma(k);
  }

  /** A box of (x, t): centre c, half-widths r, its proven bound and the Jacobian norm at its centre. */
  record Box(double[] c, double[] r, double bound, double atCentre) {}

  /** What the search reached. */
  record Result(double upper, double lower, long boxes, boolean converged, int faces) {}

  @Override
  public MethodOutcome compute(MethodContext ctx) {
    long t0 = System.nanoTime();
    List<Layer> ls = layers(ctx.net());
    double seedLower = 0;
    for (double[][] p : ctx.seeds()) {
      if (p.length == 2 && p[0].length == ctx.net().inputDim() && p[1].length == ctx.net().inputDim()) {
        seedLower = Math.max(seedLower, LowerBounds.ratio(ctx.net(), p[0], p[1]));
      }
    }
    Result r = search(ls, ctx.net().inputDim(), seedLower, TOL, ctx.deadline());
    String note = String.format("on all of R^%d (homogenised faces, %d of them): %d boxes, largest centre Jacobian %.10g; %s",
        ctx.net().inputDim(), r.faces(), r.boxes(), r.lower(),
        r.converged() ? "every box within " + TOL + " of it" : "stopped by the budget or a stall first (still a bound)");
    // reported 1e-9 above the proven value: difference-quotient lower bounds carry floating-point noise of about
    // 1e-11 relative, and a bound this tight would otherwise sit below them (an "inconsistent" estimate)
    double value = Math.nextUp(r.upper() * (1 + REPORT_MARGIN));
    return MethodOutcome.of(new UpperBound(METHOD, value, true, AutoLip.seconds(t0), (int) Math.min(Integer.MAX_VALUE, r.boxes()), note));
  }

  /** Branch and bound over the faces covering every ray of (x, t); {@code lower} a known lower bound (or 0). */
  static Result search(List<Layer> ls, int d, double lower, double tol, long deadline) {
    Evaluator ev = new Evaluator(ls, d);
    boolean biased = false;
    for (Layer l : ls) {
      for (double v : l.b()) {
        biased |= v != 0;
      }
    }
    List<double[][]> faces = new ArrayList<>();
    if (biased) {
      double[] c = new double[d + 1];
      double[] r = new double[d + 1];
      java.util.Arrays.fill(r, 0, d, 1);
      c[d] = 1;
      faces.add(new double[][] {c, r});
    }
    for (int i = 0; i < d; i++) {
      for (int s = -1; s <= 1; s += 2) {
        double[] c = new double[d + 1];
        double[] r = new double[d + 1];
        java.util.Arrays.fill(r, 0, d, 1);
        r[i] = 0;
        c[i] = s;
        c[d] = biased ? 0.5 : 1;
        r[d] = biased ? 0.5 : 0;
        faces.add(new double[][] {c, r});
      }
    }
    PriorityQueue<Box> heap = new PriorityQueue<>(Comparator.comparingDouble(Box::bound).reversed());
    double best = lower;
    for (double[][] f : faces) {
      Box b = ev.box(f[0], f[1]);
      best = Math.max(best, b.atCentre());
      heap.add(b);
    }
    long boxes = heap.size();
    boolean converged = false;
    double level = heap.peek().bound();
    long since = 0;
    while (true) {
      Box top = heap.peek();
      if (top.bound() <= best * (1 + tol)) {
        converged = true;
        break;
      }
      if (top.bound() * (1 + tol) < level) {
        level = top.bound();
        since = 0;
      }
      if (boxes >= MAX_BOXES || since++ > STALL || (deadline != 0 && System.nanoTime() > deadline)) {
        break;
      }
      heap.poll();
      int k = 0;
      for (int i = 1; i <= d; i++) {
        if (top.r()[i] > top.r()[k]) {
          k = i;
        }
      }
      for (int s = -1; s <= 1; s += 2) {
        double[] c = top.c().clone();
        double[] r = top.r().clone();
        r[k] = top.r()[k] / 2;
        c[k] = top.c()[k] + s * r[k];
        Box b = ev.box(c, r);
        best = Math.max(best, b.atCentre());
        heap.add(b);
        boxes++;
      }
    }
    return new Result(heap.peek().bound(), best, boxes, converged, faces.size());
  }

  /** The per-box bound; holds the layers and the proven allowance for the rounding of Jacobian products. */
  static final class Evaluator {
    final List<Layer> ls;
    final int d;
    /** ‖J̃ − J‖_F ≤ productError for every pattern (γ_K·‖|W_L|·s·…·|W₁|‖_F, s the largest |slope|). */
    final double productError;
    /** Multiply-adds of one pattern's Jacobian. */
    final double productWork;

    Evaluator(List<Layer> ls, int d) {
      this.ls = ls;
      this.d = d;
      double work = 0;
      for (Layer l : ls) {
        work += (double) l.rows() * l.cols() * d;
      }
      this.productWork = work;
      double smax = 0;
      long k = 0;
      double[][] abs = identity(d);
      for (int li = 0; li < ls.size(); li++) {
        Layer l = ls.get(li);
        k += l.cols() + 2;
        double s = li + 1 < ls.size() ? Math.max(Math.abs(l.sn()), Math.abs(l.sp())) : 1;
        smax = Math.max(smax, s);
        double[][] next = new double[l.rows()][d];
        for (int i = 0; i < l.rows(); i++) {
          for (int q = 0; q < l.cols(); q++) {
            double w = Math.abs(l.w()[i][q]) * s;
            for (int u = 0; u < d; u++) {
              next[i][u] += w * abs[q][u];
            }
          }
        }
        abs = next;
      }
      double f = 0;
      for (double[] row : abs) {
        for (double v : row) {
          f += v * v;
        }
      }
      // the absolute product and its Frobenius sum are themselves rounded: (1 + γ_{2K}) covers them
      this.productError = gamma(k) * Math.sqrt(f) * (1 + gamma(2 * k + 8)) + TINY;
    }

    /** The box's proven bound of sup ‖∂g/∂x‖ and the Jacobian norm at its centre. */
    Box box(double[] c, double[] r) {
      int nd = d + 1;
      // forms of the current layer's inputs (the last row is t itself): value = m + Σ a_i δ_i ± e, δ ∈ [−1, 1]^{d+1}
      double[][] a = new double[d + 1][nd];
      double[] m = new double[d + 1];
      double[] e = new double[d + 1];
      for (int i = 0; i <= d; i++) {
        a[i][i] = r[i];
        m[i] = c[i];
      }
      double[] hc = java.util.Arrays.copyOf(c, d); // the forward pass at the centre
      double tc = c[d];
      List<double[][]> slopes = new ArrayList<>(); // per hidden layer: {slope set per neuron}
      List<double[]> centreSlopes = new ArrayList<>();
      for (int li = 0; li + 1 < ls.size(); li++) {
        Layer l = ls.get(li);
        int n = l.rows();
        int cols = l.cols();
        double[][] na = new double[n + 1][nd];
        double[] nm = new double[n + 1];
        double[] ne = new double[n + 1];
        double[][] sl = new double[n][];
        double[] cs = new double[n];
        double[] nhc = new double[n];
        double g = gamma(cols + 3L);
        for (int j = 0; j < n; j++) {
          double[] w = l.w()[j];
          double sum = 0;
          double abs = 0;
          double err = 0;
          double[] aj = na[j];
          double zc = l.b()[j] * tc;
          for (int q = 0; q <= cols; q++) {
            double wq = q < cols ? w[q] : l.b()[j];
            if (wq == 0) {
              continue;
            }
            int src = q < cols ? q : a.length - 1;
            double[] as = a[src];
            double sa = 0;
            for (int i = 0; i < nd; i++) {
              aj[i] += wq * as[i];
              sa += Math.abs(as[i]);
            }
            sum += wq * m[src];
            double aw = Math.abs(wq);
            abs += aw * (Math.abs(m[src]) + sa + e[src]);
            err += aw * e[src];
            if (q < cols) {
              zc += wq * hc[q];
            }
          }
          double ej = (err + g * abs) * (1 + gamma(cols + 4L)) + TINY;
          double rad = 0;
          for (int i = 0; i < nd; i++) {
            rad += Math.abs(aj[i]);
          }
          rad = (rad + ej) * (1 + gamma(nd + 2L));
          double lo = Math.nextDown(sum - rad);
          double hi = Math.nextUp(sum + rad);
          double sn = l.sn();
          double sp = l.sp();
          nm[j] = sum;
          ne[j] = ej;
          if (lo >= 0 || hi <= 0) {
            double s = lo >= 0 ? sp : sn;
            sl[j] = new double[] {s};
            scale(aj, nm, ne, j, s);
          } else {
            sl[j] = sn == sp ? new double[] {sp} : new double[] {sn, sp};
            double lam = (sp * hi - sn * lo) / (hi - lo);
            lam = Math.max(Math.min(sn, sp), Math.min(Math.max(sn, sp), lam));
            // σ(v) − λv on [lo, hi] is piecewise linear with its kink at 0: extremes at lo, 0, hi
            double glo = (sn - lam) * lo;
            double ghi = (sp - lam) * hi;
            double slack = 4 * U * (Math.abs(sn) + Math.abs(sp) + Math.abs(lam)) * Math.max(-lo, hi) + TINY;
            double gmax = Math.max(0, Math.max(glo, ghi)) + slack;
            double gmin = Math.min(0, Math.min(glo, ghi)) - slack;
            scale(aj, nm, ne, j, lam);
            double mid = (gmax + gmin) / 2;
            double half = (gmax - gmin) / 2;
            double old = nm[j];
            nm[j] = old + mid;
            ne[j] = (ne[j] + half + 2 * U * (Math.abs(old) + Math.abs(mid) + half)) * (1 + 4 * U) + TINY;
          }
          double s = zc >= 0 ? sp : sn;
          cs[j] = s;
          nhc[j] = s * zc;
        }
        na[n][d] = r[d];
        nm[n] = c[d];
        a = na;
        m = nm;
        e = ne;
        hc = nhc;
        slopes.add(sl);
        centreSlopes.add(cs);
      }
      double atCentre = centreNorm(centreSlopes);
      int unstable = 0;
      for (double[][] sl : slopes) {
        for (double[] s : sl) {
          if (s.length > 1) {
            unstable++;
          }
        }
      }
      double bound = unstable <= MAX_UNSTABLE && Math.scalb(productWork, unstable) <= MAX_PATTERN_WORK ? enumerate(slopes) : relaxed(slopes);
      return new Box(c, r, bound, atCentre);
    }

    /** The form j times s (the products rounded: u per term). */
    private static void scale(double[] aj, double[] nm, double[] ne, int j, double s) {
      if (s == 1) {
        return;
      }
      double sum = 0;
      for (int i = 0; i < aj.length; i++) {
        aj[i] *= s;
        sum += Math.abs(aj[i]);
      }
      nm[j] *= s;
      ne[j] = (Math.abs(s) * ne[j] + 2 * U * (Math.abs(nm[j]) + sum)) * (1 + 4 * U) + TINY;
    }

    private double centreNorm(List<double[]> cs) {
      double[][] mtx = identity(d);
      for (int li = 0; li < ls.size(); li++) {
        mtx = times(ls.get(li).w(), mtx, li < cs.size() ? cs.get(li) : null);
      }
      return Math.sqrt(Math.max(0, gramTop(mtx)));
    }

    /** max over the slope patterns of the proven ‖J‖, depth first through the layers. */
    private double enumerate(List<double[][]> slopes) {
      return descend(0, identity(d), slopes);
    }

    private double descend(int li, double[][] prev, List<double[][]> slopes) {
      Layer l = ls.get(li);
      double[][] p = times(l.w(), prev, null);
      if (li + 1 == ls.size()) {
        return normUp(p);
      }
      double[][] sl = slopes.get(li);
      List<Integer> free = new ArrayList<>();
      for (int j = 0; j < sl.length; j++) {
        if (sl[j].length > 1) {
          free.add(j);
        }
      }
      double best = 0;
      double[] s = new double[sl.length];
      for (int j = 0; j < sl.length; j++) {
        s[j] = sl[j][0];
      }
      for (int mask = 0; mask < (1 << free.size()); mask++) {
        for (int k = 0; k < free.size(); k++) {
          int j = free.get(k);
          s[j] = sl[j][(mask >> k) & 1];
        }
        double[][] q = new double[p.length][];
        for (int j = 0; j < p.length; j++) {
          q[j] = new double[d];
          for (int u = 0; u < d; u++) {
            q[j][u] = s[j] * p[j][u];
          }
        }
        best = Math.max(best, descend(li + 1, q, slopes));
      }
      return best;
    }

    /**
     * The interval Jacobian (mid ± rad, every product's rounding in rad) with slopes in [min, max] of each unstable
     * neuron's set; ‖J‖₂ ≤ ‖|mid| + rad‖₂ for every J inside (monotone in the entries' magnitudes).
     */
    private double relaxed(List<double[][]> slopes) {
      double[][] mid = identity(d);
      double[][] rad = new double[d][d];
      for (int li = 0; li < ls.size(); li++) {
        Layer l = ls.get(li);
        double g = gamma(l.cols() + 2L);
        double[][] pm = new double[l.rows()][d];
        double[][] pr = new double[l.rows()][d];
        for (int i = 0; i < l.rows(); i++) {
          for (int q = 0; q < l.cols(); q++) {
            double w = l.w()[i][q];
            double aw = Math.abs(w);
            for (int u = 0; u < d; u++) {
              pm[i][u] += w * mid[q][u];
              pr[i][u] += aw * (rad[q][u] + g * (Math.abs(mid[q][u]) + rad[q][u]));
            }
          }
        }
        if (li + 1 < ls.size()) {
          double[][] sl = slopes.get(li);
          for (int i = 0; i < l.rows(); i++) {
            double smin = sl[i][0];
            double smax = sl[i][0];
            for (double v : sl[i]) {
              smin = Math.min(smin, v);
              smax = Math.max(smax, v);
            }
            double sc = (smin + smax) / 2;
            double sr = (smax - smin) / 2;
            for (int u = 0; u < d; u++) {
              double pmv = pm[i][u];
              pm[i][u] = sc * pmv;
              pr[i][u] = (Math.abs(sc) * pr[i][u] + sr * (Math.abs(pmv) + pr[i][u]) + 2 * U * Math.abs(sc * pmv)) * (1 + 4 * U);
            }
          }
        }
        for (double[] row : pr) {
          for (int u = 0; u < d; u++) {
            row[u] = row[u] * (1 + gamma(l.cols() + 4L)) + TINY;
          }
        }
        mid = pm;
        rad = pr;
      }
      double[][] abs = new double[mid.length][d];
      for (int i = 0; i < mid.length; i++) {
        for (int u = 0; u < d; u++) {
          abs[i][u] = (Math.abs(mid[i][u]) + rad[i][u]) * (1 + 2 * U);
        }
      }
      return normUp(abs);
    }

    /** A proven ‖J‖₂ of the exact pattern product: the certified norm of the computed one plus its rounding. */
    private double normUp(double[][] j) {
      int rows = j.length;
      double[] flat = new double[rows * d];
      for (int i = 0; i < rows; i++) {
        System.arraycopy(j[i], 0, flat, i * d, d);
      }
      double est = Math.sqrt(Math.max(0, gramTop(j)));
      double proven = Double.NaN;
      if (est > 0) {
        for (double step : new double[] {0x1p-40, 1e-10, 1e-8, 1e-6, 1e-4}) {
          double s = est * (1 + step);
          if (NormCertificate.certifies(flat, rows, d, s)) {
            proven = s;
            break;
          }
        }
      }
      if (Double.isNaN(proven)) {
        double f = 0;
        for (double v : flat) {
          f = Math.nextUp(f + Math.nextUp(v * v));
        }
        proven = Math.nextUp(Math.sqrt(f));
      }
      return Math.nextUp(proven + productError);
    }

    /** λ_max of JᵀJ (d × d, d ≤ 4) by Jacobi rotations: an estimate that the certificate then proves. */
    private double gramTop(double[][] j) {
      double[][] g = new double[d][d];
      for (double[] row : j) {
        for (int u = 0; u < d; u++) {
          for (int v = 0; v < d; v++) {
            g[u][v] += row[u] * row[v];
          }
        }
      }
      return RegionEnumeration.Jacobi.top(g, new double[1][]);
    }

    /** diag(s)·(W·M) (s null: no scaling); W is n × m, M is m × d. */
    private double[][] times(double[][] w, double[][] mtx, double[] s) {
      double[][] out = new double[w.length][d];
      for (int i = 0; i < w.length; i++) {
        double[] wi = w[i];
        double[] oi = out[i];
        for (int q = 0; q < wi.length; q++) {
          double v = wi[q];
          if (v == 0) {
            continue;
          }
          double[] mq = mtx[q];
          for (int u = 0; u < d; u++) {
            oi[u] += v * mq[u];
          }
        }
        if (s != null) {
          for (int u = 0; u < d; u++) {
            oi[u] *= s[i];
          }
        }
      }
      return out;
    }

    private static double[][] identity(int d) {
      double[][] id = new double[d][d];
      for (int i = 0; i < d; i++) {
        id[i][i] = 1;
      }
      return id;
    }
  }
}
