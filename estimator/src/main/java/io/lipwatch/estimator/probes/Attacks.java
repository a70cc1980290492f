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

  private static void markFooled(Outcome o, INDArray logits, int[] labels, INDArray delta, Norm norm) {
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
  private static double[] gradientRowNorms(INDArray g, Outcome o, boolean first) {
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

  private static INDArray column(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return Nd4j.createFromArray(f).reshape(v.length, 1);
  }

  /** Adds a step of length alpha_i (L2: along g/‖g‖; L∞: alpha_i·sign(g)) to delta. Consumes g. */
  private static void ascend(INDArray delta, INDArray g, double[] gn, double[] alpha, Norm norm) {
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

  /** Projects delta onto the ε-ball (per row), then x+delta onto the box; returns the iterate, delta updated. */
  private static INDArray project(INDArray x, INDArray delta, double[] eps, Norm norm, double lo, double hi) {
    int n = eps.length;
    if (norm == Norm.L2) {
      double[] dn = delta.norm2(1).toDoubleVector();
      double[] f = new double[n];
      boolean any = false;
      for (int i = 0; i < n; i++) {
        f[i] = dn[i] > eps[i] ? eps[i] / dn[i] : 1.0;
        any |= f[i] != 1.0;
      }
      if (any) {
        delta.muliColumnVector(column(f));
      }
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
    // the box clip moves every coordinate toward x, which lies in the box: the result stays in the ball
    INDArray xAdv = x.add(delta);
    Transforms.min(xAdv, hi, false);
    Transforms.max(xAdv, lo, false);
    delta.assign(xAdv).subi(x);
    return xAdv;
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
      Classifier.Step st = c.step(xAdv, b.onehot());
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
  private static INDArray randomStart(int n, int d, double[] eps, Norm norm, long seed) {
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
