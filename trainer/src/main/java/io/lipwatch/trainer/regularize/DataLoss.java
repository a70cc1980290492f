package io.lipwatch.trainer.regularize;

/**
 * The data loss of the buffered step on the logits as a Java array (row-major, k per row; a minibatch has ten-odd
 * logits per row, so a few ND4J ops would cost more than the arithmetic): the mean over the first b rows and its
 * logit gradient, in double, written as float.
 */
final class DataLoss {
  private DataLoss() {}

  /**
   * Softmax cross-entropy: −Σ y·log softmax(z) per row (labels one-hot or rows summing to 1), mean over b rows;
   * eps ← (softmax(z) − y)/b on those rows.
   */
  static double softmaxXent(float[] z, float[] y, int b, int k, float[] eps) {
    double loss = 0;
    double[] e = new double[k];
    for (int r = 0; r < b; r++) {
      int o = r * k;
      double m = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < k; j++) {
        m = Math.max(m, z[o + j]);
      }
      double s = 0;
      double yz = 0;
      for (int j = 0; j < k; j++) {
        e[j] = Math.exp(z[o + j] - m);
        s += e[j];
        yz += y[o + j] * (z[o + j] - m);
      }
      loss += Math.log(s) - yz;
      for (int j = 0; j < k; j++) {
        eps[o + j] = (float) ((e[j] / s - y[o + j]) / b);
      }
    }
    return loss / b;
  }

  /** Mean squared error over b rows and k outputs; eps ← 2(z − y)/(b·k) on those rows. */
  static double mse(float[] z, float[] y, int b, int k, float[] eps) {
    double loss = 0;
    double scale = 2.0 / ((double) b * k);
    for (int i = 0; i < b * k; i++) {
      double d = (double) z[i] - y[i];
      loss += d * d;
      eps[i] = (float) (d * scale);
    }
    return loss / ((double) b * k);
  }

  /** Rows among the first b whose largest logit is at the label's largest entry (first index on ties, as argMax). */
  static long correct(float[] z, float[] y, int b, int k) {
    long ok = 0;
    for (int r = 0; r < b; r++) {
      int o = r * k;
      int pz = 0;
      int py = 0;
      for (int j = 1; j < k; j++) {
        if (z[o + j] > z[o + pz]) {
          pz = j;
        }
        if (y[o + j] > y[o + py]) {
          py = j;
        }
      }
      ok += pz == py ? 1 : 0;
    }
    return ok;
  }
}
