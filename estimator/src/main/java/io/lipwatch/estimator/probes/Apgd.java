package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.probes.Attacks.Batch;
import io.lipwatch.estimator.probes.Attacks.Deadline;
import io.lipwatch.estimator.probes.Attacks.Observer;
import io.lipwatch.estimator.probes.Attacks.Outcome;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * PGD with the step-size schedule of APGD (Croce &amp; Hein, "Reliable evaluation of adversarial robustness with an
 * ensemble of diverse parameter-free attacks", ICML 2020), per sample: initial step 2ε, momentum 0.75, and at
 * checkpoints (22 %, then shrinking gaps of at least 6 % of the steps) the step is halved and the iterate restarts from
 * the best point found when fewer than 75 % of the steps since the last checkpoint increased the loss, or when the
 * step was not halved last time and the best loss did not improve. Every iterate is projected exactly onto ball ∩ box
 * and checked: a sample is broken as soon as any iterate is misclassified.
 */
final class Apgd {
  static final double MOMENTUM = 0.75;
  static final double RHO = 0.75;

  private Apgd() {}

  /** Checkpoint step indices for {@code steps} iterations (the paper's p_j, times steps, rounded up). */
  static List<Integer> checkpoints(int steps) {
    List<Double> p = new ArrayList<>(List.of(0.0, 0.22));
    while (p.get(p.size() - 1) < 1) {
      double a = p.get(p.size() - 1);
      double b = p.get(p.size() - 2);
      p.add(a + Math.max(a - b - 0.03, 0.06));
    }
    List<Integer> w = new ArrayList<>();
    for (double v : p) {
      int k = (int) Math.ceil(v * steps);
      if (k > 0 && k < steps && (w.isEmpty() || w.get(w.size() - 1) < k)) {
        w.add(k);
      }
    }
    return w;
  }

  static Outcome run(Classifier c, Batch b, Norm norm, double eps, int steps, LogitLoss loss, long seed, double lo,
      double hi, Deadline deadline, Observer obs) {
    int n = b.n();
    INDArray x = b.x();
    int[] y = b.labels();
    Outcome o = new Outcome(n, false);
    double[] e = new double[n];
    java.util.Arrays.fill(e, eps);
    double[] eta = new double[n];
    java.util.Arrays.fill(eta, 2 * eps);

    INDArray delta = Attacks.randomStart(n, (int) x.size(1), e, norm, seed);
    INDArray xk = Attacks.project(x, delta, e, norm, lo, hi);
    if (obs != null) {
      obs.iterate(x, xk);
    }
    Classifier.Step st = c.step(xk, b.onehot(), y, loss);
    Attacks.markFooled(o, st.logits(), y, null, norm);
    double[] f = loss.values(st.logits(), y);
    double[] fmax = f.clone();
    INDArray xmax = xk.dup();
    INDArray g = st.grad();
    INDArray xprev = xk;

    List<Integer> checks = checkpoints(steps);
    int lastCheck = 0;
    int[] success = new int[n];
    double[] fmaxAtCheck = fmax.clone();
    boolean[] halvedAtCheck = new boolean[n];
    for (int k = 0; k < steps; k++) {
      if (deadline != null && deadline.passed()) {
        o.aborted = true;
        break;
      }
      double[] gn = Attacks.gradientRowNorms(g, o, k == 0);
      INDArray dz = xk.sub(x);
      Attacks.ascend(dz, g, gn, eta, norm);
      INDArray z = Attacks.project(x, dz, e, norm, lo, hi);
      INDArray xnext;
      if (k == 0) {
        xnext = z;
      } else {
        // x_k + α(z − x_k) + (1 − α)(x_k − x_{k−1}), projected
        INDArray dn = z.sub(xk).muli(MOMENTUM).addi(xk.sub(xprev).muli(1 - MOMENTUM)).addi(xk).subi(x);
        xnext = Attacks.project(x, dn, e, norm, lo, hi);
      }
      if (obs != null) {
        obs.iterate(x, xnext);
      }
      st = c.step(xnext, b.onehot(), y, loss);
      Attacks.markFooled(o, st.logits(), y, null, norm);
      double[] fn = loss.values(st.logits(), y);
      g = st.grad();
      float[] better = new float[n];
      boolean anyBetter = false;
      for (int i = 0; i < n; i++) {
        success[i] += fn[i] > f[i] ? 1 : 0;
        if (fn[i] > fmax[i]) {
          fmax[i] = fn[i];
          better[i] = 1f;
          anyBetter = true;
        }
      }
      f = fn;
      if (anyBetter) {
        merge(xmax, xnext, better);
      }
      xprev = xk;
      xk = xnext;
      o.stepsDone = k + 1;
      if (checks.contains(k + 1)) {
        int span = k + 1 - lastCheck;
        float[] restart = new float[n];
        boolean any = false;
        for (int i = 0; i < n; i++) {
          boolean few = success[i] < RHO * span;
          boolean stalled = !halvedAtCheck[i] && fmaxAtCheck[i] == fmax[i];
          halvedAtCheck[i] = few || stalled;
          if (halvedAtCheck[i]) {
            eta[i] /= 2;
            restart[i] = 1f;
            any = true;
          }
          success[i] = 0;
          fmaxAtCheck[i] = fmax[i];
        }
        lastCheck = k + 1;
        if (any) {
          // restart from the best point, without momentum; the gradient is needed there
          xk = xk.dup();
          merge(xk, xmax, restart);
          xprev = xk;
          st = c.step(xk, b.onehot(), y, loss);
          Attacks.markFooled(o, st.logits(), y, null, norm);
          f = loss.values(st.logits(), y);
          g = st.grad();
        }
      }
    }
    return o;
  }

  /** Rows of {@code into} where mask is 1 take {@code from}'s rows. */
  private static void merge(INDArray into, INDArray from, float[] mask) {
    double[] m = new double[mask.length];
    double[] keep = new double[mask.length];
    for (int i = 0; i < mask.length; i++) {
      m[i] = mask[i];
      keep[i] = 1 - mask[i];
    }
    into.muliColumnVector(Attacks.column(keep)).addi(from.mulColumnVector(Attacks.column(m)));
  }
}
