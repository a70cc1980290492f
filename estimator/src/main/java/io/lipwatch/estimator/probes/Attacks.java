package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;

/** FGSM and PGD on one pre-built batch. All per-sample work is done as whole-batch ND4J ops. */
final class Attacks {
  private Attacks() {}

  /** A pre-built batch: flat inputs {@code [n, d]} (float32), labels and their one-hot matrix. */
  record Batch(int offset, INDArray x, int[] labels, INDArray onehot) {
    int n() {
      return labels.length;
    }
  }

  /** Called with (clean, iterate) at every point whose prediction is checked; for tests. */
  interface Observer {
    void iterate(INDArray x, INDArray xAdv);
  }

  record Deadline(long endNanos) {
    boolean passed() {
      return System.nanoTime() > endNanos;
    }
  }

  /** Per-sample outcome on one batch. */
  static final class Outcome {
    final boolean[] fooled;
    /** Smallest norm of a misclassified iterate per sample (+∞ when none); only when asked for. */
    final double[] foolNorm;
    /** The perturbation of norm foolNorm per row (zero rows where none); only when asked for. */
    INDArray bestDelta;
    int nonFiniteRows;
    int zeroRowsFirstStep;
    boolean aborted;
    int stepsDone;

    Outcome(int n, boolean trackNorm) {
      fooled = new boolean[n];
      foolNorm = trackNorm ? new double[n] : null;
      if (trackNorm) {
        java.util.Arrays.fill(foolNorm, Double.POSITIVE_INFINITY);
      }
    }
  }

  static int[] predictions(INDArray logits) {
    return logits.argMax(1).toIntVector();
  }

  static void markFooled(Outcome o, INDArray logits, int[] labels, INDArray delta, Norm norm) {
    int[] pred = predictions(logits);
    double[] dn = null;
    double[] better = null;
    for (int i = 0; i < pred.length; i++) {
      if (pred[i] != labels[i]) {
        o.fooled[i] = true;
        if (o.foolNorm != null) {
          if (dn == null) {
            dn = (norm == Norm.L2 ? delta.norm2(1) : delta.normmax(1)).toDoubleVector();
            better = new double[pred.length];
          }
          if (dn[i] < o.foolNorm[i]) {
            o.foolNorm[i] = dn[i];
            better[i] = 1.0;
          }
        }
      }
    }
    if (better != null) {
      // keep the smallest adversarial perturbation per row, without slicing rows out
      INDArray m = column(better);
      INDArray keep = m.rsub(1.0);
      if (o.bestDelta == null) {
        o.bestDelta = delta.mulColumnVector(m);
      } else {
        o.bestDelta.muliColumnVector(keep).addi(delta.mulColumnVector(m));
      }
    }
  }

  /** Row norms of the gradient; non-finite entries are zeroed in place (and counted) so one bad row cannot spread. */
  static double[] gradientRowNorms(INDArray g, Outcome o, boolean first) {
    double[] gn = g.norm2(1).toDoubleVector();
    int bad = 0;
    int zero = 0;
    for (double v : gn) {
      if (!Double.isFinite(v)) {
        bad++;
      } else if (v == 0) {
        zero++;
      }
    }
    if (bad > 0) {
      BooleanIndexing.replaceWhere(g, 0.0, Conditions.isNan());
      BooleanIndexing.replaceWhere(g, 0.0, Conditions.isInfinite());
      gn = g.norm2(1).toDoubleVector();
    }
    o.nonFiniteRows = Math.max(o.nonFiniteRows, bad);
    if (first) {
      o.zeroRowsFirstStep = zero;
    }
    return gn;
  }

  static INDArray column(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return Nd4j.createFromArray(f).reshape(v.length, 1);
  }

  /** Adds a step of length alpha_i (L2: along g/‖g‖; L∞: alpha_i·sign(g)) to delta. Consumes g. */
  static void ascend(INDArray delta, INDArray g, double[] gn, double[] alpha, Norm norm) {
    int n = gn.length;
    if (norm == Norm.L2) {
      double[] f = new double[n];
      for (int i = 0; i < n; i++) {
        f[i] = gn[i] > 0 ? alpha[i] / gn[i] : 0.0;
      }
      delta.addi(g.muliColumnVector(column(f)));
    } else {
      delta.addi(Transforms.sign(g, false).muliColumnVector(column(alpha)));
    }
  }

  /**
   * Projects x+delta onto the intersection of the ε-ball around x and the box [lo, hi] (per row, exactly); returns the
   * iterate, delta updated. L∞: the intersection is a box, so clipping each coordinate is the projection. L2: see
   * {@link #projectL2}. (Projecting onto the ball and then clipping to the box lands inside both but not on the nearest
   * point: it shortens steps along the box faces, which on image data is most of them.)
   */
  static INDArray project(INDArray x, INDArray delta, double[] eps, Norm norm, double lo, double hi) {
    int n = eps.length;
    if (norm == Norm.L2) {
      projectL2(x, delta, eps, lo, hi);
    } else {
      // clip each row to [−ε_i, ε_i]: scale to the unit cube, clip, scale back
      double[] inv = new double[n];
      double[] e = new double[n];
      for (int i = 0; i < n; i++) {
        e[i] = eps[i];
        inv[i] = eps[i] > 0 ? 1.0 / eps[i] : 0.0;
      }
      delta.muliColumnVector(column(inv));
      Transforms.min(delta, 1.0, false);
      Transforms.max(delta, -1.0, false);
      delta.muliColumnVector(column(e));
    }
    INDArray xAdv = x.add(delta);
    Transforms.min(xAdv, hi, false);
    Transforms.max(xAdv, lo, false);
    delta.assign(xAdv).subi(x);
    return xAdv;
  }

  /**
   * Exact Euclidean projection of delta onto {‖δ‖ ≤ ε} ∩ [lo − x, hi − x], in place. The KKT conditions give
   * δ = clip(t·d) for some t ∈ (0, 1] (t = 1/(1+μ), μ the ball's multiplier); since the box contains 0, clip(t·d_j) =
   * d_j·min(t, b_j) with b_j the t at which coordinate j reaches its face, so ‖δ(t)‖² = Σ d_j² min(t, b_j)² is
   * increasing and piecewise quadratic: sorting the breakpoints b_j &lt; 1 gives the t with ‖δ(t)‖ = ε exactly.
   */
  static void projectL2(INDArray x, INDArray delta, double[] eps, double lo, double hi) {
    int n = eps.length;
    int d = (int) x.size(1);
    float[] xs = floats(x);
    float[] ds = floats(delta);
    long[] keys = new long[d];
    for (int i = 0; i < n; i++) {
      int off = i * d;
      double e2 = eps[i] * eps[i];
      double full = 0; // ‖clip(d)‖² (t = 1)
      int m = 0;
      for (int j = 0; j < d; j++) {
        double dj = ds[off + j];
        double face = dj > 0 ? hi - xs[off + j] : lo - xs[off + j];
        double c = dj > 0 ? Math.min(dj, face) : Math.max(dj, face);
        full += c * c;
      }
      if (full <= e2) {
        for (int j = 0; j < d; j++) {
          double dj = ds[off + j];
          double face = dj > 0 ? hi - xs[off + j] : lo - xs[off + j];
          ds[off + j] = (float) (dj > 0 ? Math.min(dj, face) : Math.max(dj, face));
        }
        continue;
      }
      double q = 0; // Σ d_j² over coordinates not yet at their face
      for (int j = 0; j < d; j++) {
        double dj = ds[off + j];
        if (dj == 0) {
          continue;
        }
        double b = (dj > 0 ? hi - xs[off + j] : lo - xs[off + j]) / dj;
        q += dj * dj;
        if (b < 1) {
          // b ≥ 0; non-negative floats sort like their bit patterns
          keys[m++] = ((long) Float.floatToIntBits((float) Math.max(b, 0.0)) << 32) | j;
        }
      }
      java.util.Arrays.sort(keys, 0, m);
      double s = 0; // Σ d_j² b_j² over coordinates at their face
      double t = -1;
      for (int r = 0; r < m; r++) {
        int j = (int) (keys[r] & 0xffffffffL);
        double dj = ds[off + j];
        double b = (dj > 0 ? hi - xs[off + j] : lo - xs[off + j]) / dj;
        if (s + q * b * b >= e2) {
          break;
        }
        s += dj * dj * b * b;
        q -= dj * dj;
      }
      t = q > 0 ? Math.sqrt(Math.max(e2 - s, 0) / q) : 1.0;
      t = Math.min(t, 1.0);
      for (int j = 0; j < d; j++) {
        double dj = ds[off + j];
        double v = t * dj;
        double face = dj > 0 ? hi - xs[off + j] : lo - xs[off + j];
        ds[off + j] = (float) (dj > 0 ? Math.min(v, face) : Math.max(v, face));
      }
    }
    if (direct(delta)) {
      delta.data().setData(ds);
    } else {
      delta.assign(Nd4j.createFromArray(ds).reshape(n, d));
    }
  }

  /** A plain c-order float array whose buffer is exactly its elements (no copy needed). */
  private static boolean direct(INDArray a) {
    return a.dataType() == DataType.FLOAT && !a.isView() && a.ordering() == 'c' && a.data().length() == a.length();
  }

  private static float[] floats(INDArray a) {
    return direct(a) ? a.data().asFloat() : a.dup('c').castTo(DataType.FLOAT).data().asFloat();
  }

  /** One step of size ε from the clean input. */
  static Outcome fgsm(Classifier c, Batch b, Norm norm, double eps, double lo, double hi, Observer obs) {
    Outcome o = new Outcome(b.n(), false);
    Classifier.Step st = c.step(b.x(), b.onehot());
    markFooled(o, st.logits(), b.labels(), null, norm);
    INDArray g = st.grad();
    double[] gn = gradientRowNorms(g, o, true);
    double[] e = new double[b.n()];
    java.util.Arrays.fill(e, eps);
    INDArray delta = Nd4j.zeros(DataType.FLOAT, b.x().shape());
    ascend(delta, g, gn, e, norm);
    INDArray xAdv = project(b.x(), delta, e, norm, lo, hi);
    if (obs != null) {
      obs.iterate(b.x(), xAdv);
    }
    markFooled(o, c.logits(xAdv), b.labels(), null, norm);
    o.stepsDone = 1;
    return o;
  }

  /**
   * PGD with per-sample radius eps[i] and step alpha[i]. Every sample is updated at every step; a sample is fooled
   * when any checked iterate (random start, each step, the last point) is misclassified.
   */
  static Outcome pgd(Classifier c, Batch b, Norm norm, double[] eps, double[] alpha, int steps, boolean randomStart,
      long seed, double lo, double hi, boolean trackNorm, Deadline deadline, Observer obs) {
    return pgd(c, b, norm, eps, alpha, steps, randomStart, seed, lo, hi, trackNorm, deadline, obs, null);
  }

  /** As above; rows of {@code init} that are non-zero replace the random start (warm start from a known adversarial). */
  static Outcome pgd(Classifier c, Batch b, Norm norm, double[] eps, double[] alpha, int steps, boolean randomStart,
      long seed, double lo, double hi, boolean trackNorm, Deadline deadline, Observer obs, INDArray init) {
    return pgd(c, b, norm, eps, alpha, steps, randomStart, seed, lo, hi, trackNorm, deadline, obs, init, LogitLoss.CE);
  }

  /** As above, ascending {@code loss}. */
  static Outcome pgd(Classifier c, Batch b, Norm norm, double[] eps, double[] alpha, int steps, boolean randomStart,
      long seed, double lo, double hi, boolean trackNorm, Deadline deadline, Observer obs, INDArray init, LogitLoss loss) {
    int n = b.n();
    INDArray x = b.x();
    Outcome o = new Outcome(n, trackNorm);
    INDArray delta = randomStart ? randomStart(n, (int) x.size(1), eps, norm, seed)
        : Nd4j.zeros(DataType.FLOAT, x.shape());
    if (init != null) {
      double[] in = init.norm2(1).toDoubleVector();
      double[] use = new double[n];
      double[] keep = new double[n];
      for (int i = 0; i < n; i++) {
        use[i] = in[i] > 0 ? 1.0 : 0.0;
        keep[i] = 1.0 - use[i];
      }
      delta.muliColumnVector(column(keep)).addi(init.mulColumnVector(column(use)));
    }
    INDArray xAdv = project(x, delta, eps, norm, lo, hi);
    for (int t = 0; ; t++) {
      if (obs != null) {
        obs.iterate(x, xAdv);
      }
      if (t == steps) {
        markFooled(o, c.logits(xAdv), b.labels(), delta, norm);
        break;
      }
      Classifier.Step st = c.step(xAdv, b.onehot(), b.labels(), loss);
      markFooled(o, st.logits(), b.labels(), delta, norm);
      if (deadline != null && deadline.passed()) {
        o.aborted = true;
        break;
      }
      INDArray g = st.grad();
      double[] gn = gradientRowNorms(g, o, t == 0);
      ascend(delta, g, gn, alpha, norm);
      xAdv = project(x, delta, eps, norm, lo, hi);
      o.stepsDone = t + 1;
    }
    return o;
  }

  /** Uniform in the L∞ ball; in the L2 ball: Gaussian direction, radius ε·U^(1/d) (uniform in volume). */
  static INDArray randomStart(int n, int d, double[] eps, Norm norm, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] v = new float[n * d];
    if (norm == Norm.LINF) {
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < d; j++) {
          v[i * d + j] = (float) (eps[i] * (2 * rng.nextDouble() - 1));
        }
      }
      return Nd4j.createFromArray(v).reshape(n, d);
    }
    for (int k = 0; k < v.length; k++) {
      v[k] = (float) rng.nextGaussian();
    }
    INDArray delta = Nd4j.createFromArray(v).reshape(n, d);
    double[] dn = delta.norm2(1).toDoubleVector();
    double[] f = new double[n];
    for (int i = 0; i < n; i++) {
      double r = eps[i] * Math.pow(rng.nextDouble(), 1.0 / d);
      f[i] = dn[i] > 0 ? r / dn[i] : 0.0;
    }
    return delta.muliColumnVector(column(f));
  }

  /** Gaussian noise N(0, σ²) added to x, clipped to the box. */
  static INDArray noisy(INDArray x, double sigma, double lo, double hi, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] v = new float[(int) x.length()];
    for (int k = 0; k < v.length; k++) {
      v[k] = (float) (sigma * rng.nextGaussian());
    }
    INDArray y = Nd4j.createFromArray(v).reshape(x.shape()).addi(x);
    Transforms.min(y, hi, false);
    Transforms.max(y, lo, false);
    return y;
  }
}
