package io.lipwatch.estimator.probes;

import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Exact robustness figures of a network whose logits are linear, z = Ax + c, with A and c taken from DL4J's own forward
 * pass (the output layer's input on basis vectors, times its W and b) — nothing from the probe code. The minimal
 * perturbation that makes class k beat the label y inside the box [lo, hi] is the distance to a half-space intersected
 * with the box: along δ(λ) = clip(λ·a) for L2 and clip(λ·sign a) for L∞, found by bisection on λ.
 *
 * @param a       A, [classes][inputs]
 * @param correct whether the model's argmax is the label
 * @param margins top logit minus the second (the probe runner's margin)
 * @param l2      exact minimal L2 perturbation of each correct sample (0 for the wrong ones)
 * @param linf    the same in L∞
 */
record LinearTruth(double[][] a, boolean[] correct, double[] margins, double[] l2, double[] linf) {

  static LinearTruth of(MultiLayerNetwork net, ProbeSet s) {
    int d = s.dimension();
    long[] shape = new long[s.shape().size() + 2];
    shape[0] = d;
    shape[1] = 1;
    for (int i = 0; i < s.shape().size(); i++) {
      shape[i + 2] = s.shape().get(i);
    }
    if (s.shape().size() == 1) {
      shape = new long[] {d, d};
    }
    double[][] atBasis = logits(net, Nd4j.eye(d).castTo(net.params().dataType()).reshape(shape));
    long[] zeroShape = shape.clone();
    zeroShape[0] = 1;
    double[] c = logits(net, Nd4j.zeros(net.params().dataType(), zeroShape))[0];
    int k = c.length;
    double[][] a = new double[k][d];
    for (int j = 0; j < d; j++) {
      for (int r = 0; r < k; r++) {
        a[r][j] = atBasis[j][r] - c[r];
      }
    }
    int n = s.count();
    boolean[] correct = new boolean[n];
    double[] margins = new double[n];
    double[] l2 = new double[n];
    double[] linf = new double[n];
    for (int i = 0; i < n; i++) {
      double[] x = s.input(i);
      double[] z = c.clone();
      for (int r = 0; r < k; r++) {
        for (int j = 0; j < d; j++) {
          z[r] += a[r][j] * x[j];
        }
      }
      int y = s.labels()[i];
      correct[i] = argmax(z) == y;
      margins[i] = ProbeRunner.margin(z);
      l2[i] = correct[i] ? distance(a, x, y, z, s.lo(), s.hi(), false) : 0;
      linf[i] = correct[i] ? distance(a, x, y, z, s.lo(), s.hi(), true) : 0;
    }
    return new LinearTruth(a, correct, margins, l2, linf);
  }

  /** Logits of DL4J's forward pass: the activations entering the output layer, times its W, plus its b. */
  private static double[][] logits(MultiLayerNetwork net, INDArray x) {
    List<INDArray> acts = net.feedForward(x, false);
    INDArray h = acts.get(acts.size() - 2).castTo(DataType.DOUBLE);
    INDArray w = net.getOutputLayer().getParam("W").castTo(DataType.DOUBLE);
    INDArray b = net.getOutputLayer().getParam("b").castTo(DataType.DOUBLE);
    return h.reshape(h.size(0), w.size(0)).mmul(w).addiRowVector(b).toDoubleMatrix();
  }

  private static int argmax(double[] z) {
    int m = 0;
    for (int k = 1; k < z.length; k++) {
      if (z[k] > z[m]) {
        m = k;
      }
    }
    return m;
  }

  /** min over k ≠ y of min ‖δ‖ s.t. (a_k − a_y)·δ ≥ z_y − z_k and lo ≤ x + δ ≤ hi. */
  private static double distance(double[][] a, double[] x, int y, double[] z, double lo, double hi, boolean inf) {
    double best = Double.POSITIVE_INFINITY;
    for (int k = 0; k < a.length; k++) {
      if (k == y) {
        continue;
      }
      double[] g = new double[x.length];
      for (int j = 0; j < x.length; j++) {
        g[j] = inf ? Math.signum(a[k][j] - a[y][j]) : a[k][j] - a[y][j];
      }
      double[] dir = new double[x.length];
      for (int j = 0; j < x.length; j++) {
        dir[j] = a[k][j] - a[y][j];
      }
      double need = z[y] - z[k];
      if (gain(dir, g, x, 1e12, lo, hi) < need) {
        continue; // class k unreachable inside the box
      }
      double l = 0;
      double u = 1e-9;
      while (gain(dir, g, x, u, lo, hi) < need) {
        u *= 2;
      }
      for (int it = 0; it < 200; it++) {
        double m = 0.5 * (l + u);
        if (gain(dir, g, x, m, lo, hi) >= need) {
          u = m;
        } else {
          l = m;
        }
      }
      double norm = 0;
      for (int j = 0; j < x.length; j++) {
        double dj = Math.abs(Math.max(lo - x[j], Math.min(hi - x[j], u * g[j])));
        norm = inf ? Math.max(norm, dj) : norm + dj * dj;
      }
      best = Math.min(best, inf ? norm : Math.sqrt(norm));
    }
    return best;
  }

  /** (a_k − a_y)·clip(λ·g): the logit gap closed by the step λ along g. */
  private static double gain(double[] dir, double[] g, double[] x, double lambda, double lo, double hi) {
    double s = 0;
    for (int j = 0; j < x.length; j++) {
      s += dir[j] * Math.max(lo - x[j], Math.min(hi - x[j], lambda * g[j]));
    }
    return s;
  }

  /** ‖A‖_F ≥ ‖A‖₂: a sound Lipschitz bound of the logits, known exactly. */
  double frobenius() {
    double f = 0;
    for (double[] row : a) {
      for (double v : row) {
        f += v * v;
      }
    }
    return Math.sqrt(f);
  }

  /** The p-quantile of the positive entries of {@code dist}. */
  double quantile(double[] dist, double p) {
    double[] v = Arrays.stream(dist).filter(e -> e > 0 && Double.isFinite(e)).sorted().toArray();
    return v[(int) (p * (v.length - 1))];
  }

  /** Exact robust accuracy at radius eps: correct and at distance greater than eps. */
  double robust(double[] dist, double eps) {
    int k = 0;
    for (int i = 0; i < dist.length; i++) {
      k += correct[i] && dist[i] > eps ? 1 : 0;
    }
    return (double) k / dist.length;
  }

  static double fraction(boolean[] b) {
    int k = 0;
    for (boolean x : b) {
      k += x ? 1 : 0;
    }
    return (double) k / b.length;
  }
}
