package io.lipwatch.estimator.probes;

import java.util.Locale;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Losses on the logits that the attacks ascend. A sample counts as broken when any loss (and any restart) breaks it, so
 * each loss can only add to what the others find.
 *
 * <ul>
 *   <li>{@link #CE}: softmax cross-entropy. Its gradient vanishes on confident samples in float32; the direction used
 *       is the gradient divided by 1 − p_y (softmax over the other classes minus the one-hot), same direction;</li>
 *   <li>{@link #CW}: the margin max_{j≠y} z_j − z_y (Carlini &amp; Wagner); for a linear model it is the exact objective;</li>
 *   <li>{@link #DLR}: −(z_y − max_{j≠y} z_j)/(z_π1 − z_π3), the difference-of-logits ratio of Croce &amp; Hein (2020),
 *       invariant to shifts and scales of the logits; it needs 3 classes and is the margin loss below that.</li>
 * </ul>
 *
 * Every gradient here sums to zero over the classes (each loss is invariant to adding a constant to all logits), which
 * lets a softmax cross-entropy backward pass carry it (see Dl4jClassifier).
 */
public enum LogitLoss {
  CE, CW, DLR;

  /** The name in the estimate and in configuration. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static LogitLoss parse(String s) {
    return valueOf(s.trim().toUpperCase(Locale.ROOT));
  }

  /** d loss / d logits per row (up to a positive per-row factor for CE), float, [n, k]. */
  INDArray gradient(INDArray logits, int[] labels) {
    double[][] z = logits.toDoubleMatrix();
    int n = z.length;
    int k = n == 0 ? 0 : z[0].length;
    float[] g = new float[n * k];
    for (int i = 0; i < n; i++) {
      rowGradient(z[i], labels[i], g, i * k);
    }
    return Nd4j.createFromArray(g).reshape(n, k).castTo(logits.dataType());
  }

  /**
   * As above on flat row-major float logits {@code [n, k]} into {@code g} (same layout), the same arithmetic in double
   * per row; nothing of the batch's size is allocated (the attack loops call it every step).
   */
  void gradient(float[] logits, int k, int[] labels, float[] g) {
    gradient(logits, k, labels, 0, labels.length, g, 0, new double[k]);
  }

  /**
   * As above for the rows [from, to) only, row i's gradient written at {@code gOff + (i − from)·k} of g; {@code z} is
   * k doubles of scratch (the row kernels call it per block).
   */
  void gradient(float[] logits, int k, int[] labels, int from, int to, float[] g, int gOff, double[] z) {
    for (int i = from; i < to; i++) {
      for (int c = 0; c < k; c++) {
        z[c] = logits[i * k + c];
      }
      int off = gOff + (i - from) * k;
      java.util.Arrays.fill(g, off, off + k, 0f);
      rowGradient(z, labels[i], g, off);
    }
  }

  /** Loss value per row (double), from float or double logits. */
  double[] values(INDArray logits, int[] labels) {
    double[][] z = logits.toDoubleMatrix();
    double[] v = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      v[i] = value(z[i], labels[i]);
    }
    return v;
  }

  /** Loss value per row of flat float logits {@code [n, k]} into {@code v}. */
  void values(float[] logits, int k, int[] labels, double[] v) {
    double[] z = new double[k];
    for (int i = 0; i < labels.length; i++) {
      for (int c = 0; c < k; c++) {
        z[c] = logits[i * k + c];
      }
      v[i] = value(z, labels[i]);
    }
  }

  double value(double[] z, int y) {
    int j = bestOther(z, y);
    switch (this) {
      case CE -> {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : z) {
          m = Math.max(m, v);
        }
        double s = 0;
        for (double v : z) {
          s += Math.exp(v - m);
        }
        return m + Math.log(s) - z[y];
      }
      case CW -> {
        return z[j] - z[y];
      }
      default -> {
        if (z.length < 3) {
          return z[j] - z[y];
        }
        return -(z[y] - z[j]) / dlrScale(z);
      }
    }
  }

  private void rowGradient(double[] z, int y, float[] g, int off) {
    int k = z.length;
    int j = bestOther(z, y);
    switch (this) {
      case CE -> {
        // softmax over the classes other than y, minus e_y: (p − e_y)/(1 − p_y), never zero in float
        double m = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < k; c++) {
          if (c != y) {
            m = Math.max(m, z[c]);
          }
        }
        double s = 0;
        for (int c = 0; c < k; c++) {
          if (c != y) {
            s += Math.exp(z[c] - m);
          }
        }
        for (int c = 0; c < k; c++) {
          g[off + c] = c == y ? -1f : (float) (Math.exp(z[c] - m) / s);
        }
      }
      case CW -> {
        g[off + j] = 1f;
        g[off + y] = -1f;
      }
      default -> {
        if (k < 3) {
          g[off + j] = 1f;
          g[off + y] = -1f;
          return;
        }
        // L = −(z_y − z_j)/D, D = z_π1 − z_π3: dL = (e_j − e_y)/D + (z_y − z_j)/D²·(e_π1 − e_π3)
        int[] top = top3(z);
        double d = dlrScale(z);
        double m = (z[y] - z[j]) / (d * d);
        double[] gd = new double[k];
        gd[j] += 1 / d;
        gd[y] -= 1 / d;
        gd[top[0]] += m;
        gd[top[2]] -= m;
        for (int c = 0; c < k; c++) {
          g[off + c] = (float) gd[c];
        }
      }
    }
  }

  private static double dlrScale(double[] z) {
    int[] t = top3(z);
    return Math.max(z[t[0]] - z[t[2]], 1e-12);
  }

  private static int[] top3(double[] z) {
    int a = -1;
    int b = -1;
    int c = -1;
    for (int i = 0; i < z.length; i++) {
      if (a < 0 || z[i] > z[a]) {
        c = b;
        b = a;
        a = i;
      } else if (b < 0 || z[i] > z[b]) {
        c = b;
        b = i;
      } else if (c < 0 || z[i] > z[c]) {
        c = i;
      }
    }
    return new int[] {a, b, c};
  }

  static int bestOther(double[] z, int y) {
    int j = -1;
    for (int c = 0; c < z.length; c++) {
      if (c != y && (j < 0 || z[c] > z[j])) {
        j = c;
      }
    }
    return j;
  }
}
