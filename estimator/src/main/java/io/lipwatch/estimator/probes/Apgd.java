package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.probes.Attacks.Batch;
import io.lipwatch.estimator.probes.Attacks.Deadline;
import io.lipwatch.estimator.probes.Attacks.Observer;
import io.lipwatch.estimator.probes.Attacks.Outcome;
import io.lipwatch.estimator.probes.Attacks.Work;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import java.util.ArrayList;
import java.util.List;

/**
 * PGD with the step-size schedule of APGD (Croce &amp; Hein, "Reliable evaluation of adversarial robustness with an
 * ensemble of diverse parameter-free attacks", ICML 2020), per sample: initial step 2ε, momentum 0.75, and at
 * checkpoints (22 %, then shrinking gaps of at least 6 % of the steps) the step is halved and the iterate restarts from
 * the best point found when fewer than 75 % of the steps since the last checkpoint increased the loss, or when the
 * step was not halved last time and the best loss did not improve. Every iterate is projected exactly onto ball ∩ box
 * and checked: a sample is broken as soon as any iterate is misclassified. Rows are independent: each row's iterates
 * depend on its own input, label, random start and schedule only.
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
    try (StepKernel kern = StepKernel.of(c, b)) {
      return run(kern, b, norm, eps, steps, loss, seed, lo, hi, deadline, obs);
    }
  }

  private static Outcome run(StepKernel kern, Batch b, Norm norm, double eps, int steps, LogitLoss loss, long seed,
      double lo, double hi, Deadline deadline, Observer obs) {
    int n = b.n();
    int[] y = b.labels();
    Work w = new Work(b, kern.classes());
    int d = w.d;
    float[] x = w.x;
    Outcome o = new Outcome(n, false);
    double[] e = new double[n];
    java.util.Arrays.fill(e, eps);
    double[] eta = new double[n];
    java.util.Arrays.fill(eta, 2 * eps);

    // the iterates rotate through three arrays (previous, current, next); nothing of the batch's size is allocated
    // inside the loop
    float[] xprev = w.rows();
    float[] xk = w.rows();
    float[] xnext = w.rows();
    float[] zk = w.rows();
    float[] dz = w.rows();
    float[] xmax = w.rows();
    Attacks.randomStart(b, e, norm, seed, dz);
    Attacks.project(x, dz, xk, n, d, e, norm, lo, hi, w.scratch);
    if (obs != null) {
      obs.iterate(b.x(), w.matrix(xk));
    }
    kern.step(xk, loss, w.z, w.g);
    Attacks.markFooled(o, w, y, null, norm);
    double[] f = new double[n];
    double[] fn = new double[n];
    loss.values(w.z, w.k, y, f);
    double[] fmax = f.clone();
    System.arraycopy(xk, 0, xmax, 0, xk.length);
    System.arraycopy(xk, 0, xprev, 0, xk.length);

    List<Integer> checks = checkpoints(steps);
    int lastCheck = 0;
    int[] success = new int[n];
    double[] fmaxAtCheck = fmax.clone();
    boolean[] halvedAtCheck = new boolean[n];
    boolean[] mask = new boolean[n];
    float mom = (float) MOMENTUM;
    float keep = (float) (1 - MOMENTUM);
    for (int k = 0; k < steps; k++) {
      if (deadline != null && deadline.passed()) {
        o.aborted = true;
        break;
      }
      Attacks.gradientRowNorms(w, o, k == 0);
      for (int j = 0; j < dz.length; j++) {
        dz[j] = xk[j] - x[j];
      }
      Attacks.ascend(dz, w, eta, norm);
      Attacks.project(x, dz, k == 0 ? xnext : zk, n, d, e, norm, lo, hi, w.scratch);
      if (k > 0) {
        // x_k + α(z − x_k) + (1 − α)(x_k − x_{k−1}), projected
        for (int j = 0; j < dz.length; j++) {
          dz[j] = (zk[j] - xk[j]) * mom + (xk[j] - xprev[j]) * keep + xk[j] - x[j];
        }
        Attacks.project(x, dz, xnext, n, d, e, norm, lo, hi, w.scratch);
      }
      if (obs != null) {
        obs.iterate(b.x(), w.matrix(xnext));
      }
      kern.step(xnext, loss, w.z, w.g);
      Attacks.markFooled(o, w, y, null, norm);
      loss.values(w.z, w.k, y, fn);
      boolean anyBetter = false;
      for (int i = 0; i < n; i++) {
        success[i] += fn[i] > f[i] ? 1 : 0;
        mask[i] = fn[i] > fmax[i];
        if (mask[i]) {
          fmax[i] = fn[i];
          anyBetter = true;
        }
      }
      double[] tf = f;
      f = fn;
      fn = tf;
      if (anyBetter) {
        copyRows(xmax, xnext, mask, d);
      }
      float[] tx = xprev;
      xprev = xk;
      xk = xnext;
      xnext = tx;
      o.stepsDone = k + 1;
      if (checks.contains(k + 1)) {
        int span = k + 1 - lastCheck;
        boolean any = false;
        for (int i = 0; i < n; i++) {
          boolean few = success[i] < RHO * span;
          boolean stalled = !halvedAtCheck[i] && fmaxAtCheck[i] == fmax[i];
          halvedAtCheck[i] = few || stalled;
          mask[i] = halvedAtCheck[i];
          if (halvedAtCheck[i]) {
            eta[i] /= 2;
            any = true;
          }
          success[i] = 0;
          fmaxAtCheck[i] = fmax[i];
        }
        lastCheck = k + 1;
        if (any) {
          // the halved rows restart from their best point, without momentum; the gradient is needed there. Only those
          // rows: a row's run never depends on the others (an attack may leave broken rows out, Batch.select)
          copyRows(xk, xmax, mask, d);
          copyRows(xprev, xk, mask, d);
          kern.step(xk, loss, w.z, w.g);
          Attacks.markFooled(o, w, y, null, norm);
          loss.values(w.z, w.k, y, f);
        }
      }
    }
    return o;
  }

  /** Rows of {@code into} where mask is set take {@code from}'s rows. */
  private static void copyRows(float[] into, float[] from, boolean[] mask, int d) {
    for (int i = 0; i < mask.length; i++) {
      if (mask[i]) {
        System.arraycopy(from, i * d, into, i * d, d);
      }
    }
  }
}
