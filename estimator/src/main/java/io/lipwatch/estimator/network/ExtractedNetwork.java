package io.lipwatch.estimator.network;

import java.util.List;

/**
 * A network as a small DAG of {@link Node}s from the input to the logits (a softmax at the output already dropped),
 * in topological order; the last node is the output. Forward passes, Jacobian-vector (J·v) and vector-Jacobian
 * (Jᵀ·u) products run on it in plain doubles: the lower bounds need real function values, and tests check them
 * against DL4J's own {@code output()}.
 *
 * @param kind       MultiLayerNetwork or ComputationGraph
 * @param nodes      the DAG in topological order
 * @param inputShape input shape of one example ([n] or [c, h, w])
 * @param inputDim   flattened input size
 * @param outputDim  number of logits
 * @param layers     layers in the DL4J model
 * @param parameters parameters in the DL4J model
 */
public record ExtractedNetwork(String kind, List<Node> nodes, long[] inputShape, int inputDim, int outputDim, int layers,
    long parameters) {

  /** The nodes that carry a linear operator, in order. */
  public List<Node> linearNodes() {
    return nodes.stream().filter(n -> n.linear() != null).toList();
  }

  /** True when the DAG is a chain (every node reads only the previous one). */
  public boolean isChain() {
    for (int i = 0; i < nodes.size(); i++) {
      int[] in = nodes.get(i).inputs();
      if (in.length != 1 || in[0] != i - 1) {
        return false;
      }
    }
    return true;
  }

  /** Values of every node for input x. */
  public double[][] forward(double[] x) {
    double[][] v = new double[nodes.size()][];
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      double[] y = new double[n.outDim()];
      if (n.op() instanceof Op.Affine a) {
          a.linear().apply(n.input(v, x, 0), y);
          if (a.bias() != null) {
            for (int k = 0; k < y.length; k++) {
              y[k] += a.bias()[k];
            }
          }
      } else if (n.op() instanceof Op.Activation a) {
          double[] z = n.input(v, x, 0);
          for (int k = 0; k < y.length; k++) {
            y[k] = a.spec().apply(z[k]);
          }
      } else if (n.op() instanceof Op.Softmax s) {
        softmax(n.input(v, x, 0), y);
      } else if (n.op() instanceof Op.MaxPool p) {
          double[] z = n.input(v, x, 0);
          for (int r = 0; r < y.length; r++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int k : p.windows()[r]) {
              m = Math.max(m, z[k]);
            }
            y[r] = m;
          }
      } else if (n.op() instanceof Op.Sum s) {
          for (int j = 0; j < n.inputs().length; j++) {
            double[] z = n.input(v, x, j);
            for (int k = 0; k < y.length; k++) {
              y[k] += s.coeffs()[j] * z[k];
            }
          }
      } else if (n.op() instanceof Op.Concat c) {
          int off = 0;
          for (int j = 0; j < n.inputs().length; j++) {
            double[] z = n.input(v, x, j);
            System.arraycopy(z, 0, y, off, z.length);
            off += z.length;
          }
      }
      v[i] = y;
    }
    return v;
  }

  public double[] output(double[] x) {
    double[][] v = forward(x);
    return v[v.length - 1];
  }

  /** J(x)·t, with {@code vals} = forward(x). */
  public double[] jvp(double[][] vals, double[] x, double[] t) {
    double[][] d = new double[nodes.size()][];
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      double[] y = new double[n.outDim()];
      if (n.op() instanceof Op.Affine a) {
        a.linear().apply(n.input(d, t, 0), y);
      } else if (n.op() instanceof Op.Activation a) {
          double[] z = n.input(vals, x, 0);
          double[] dz = n.input(d, t, 0);
          for (int k = 0; k < y.length; k++) {
            y[k] = a.spec().derivative(z[k]) * dz[k];
          }
      } else if (n.op() instanceof Op.Softmax s) {
          double[] p = vals[i];
          double[] dz = n.input(d, t, 0);
          double dot = 0;
          for (int k = 0; k < y.length; k++) {
            dot += p[k] * dz[k];
          }
          for (int k = 0; k < y.length; k++) {
            y[k] = p[k] * (dz[k] - dot);
          }
      } else if (n.op() instanceof Op.MaxPool p) {
          double[] z = n.input(vals, x, 0);
          double[] dz = n.input(d, t, 0);
          for (int r = 0; r < y.length; r++) {
            y[r] = dz[argmax(z, p.windows()[r])];
          }
      } else if (n.op() instanceof Op.Sum s) {
          for (int j = 0; j < n.inputs().length; j++) {
            double[] dz = n.input(d, t, j);
            for (int k = 0; k < y.length; k++) {
              y[k] += s.coeffs()[j] * dz[k];
            }
          }
      } else if (n.op() instanceof Op.Concat c) {
          int off = 0;
          for (int j = 0; j < n.inputs().length; j++) {
            double[] dz = n.input(d, t, j);
            System.arraycopy(dz, 0, y, off, dz.length);
            off += dz.length;
          }
      }
      d[i] = y;
    }
    return d[d.length - 1];
  }

  /** J(x)ᵀ·u, with {@code vals} = forward(x). */
  public double[] vjp(double[][] vals, double[] x, double[] u) {
    int m = nodes.size();
    double[][] g = new double[m][];
    g[m - 1] = u.clone();
    double[] gx = new double[inputDim];
    for (int i = m - 1; i >= 0; i--) {
      Node n = nodes.get(i);
      double[] gy = g[i];
      if (gy == null) {
        continue;
      }
      if (n.op() instanceof Op.Affine a) {
          double[] gz = new double[a.linear().inDim()];
          a.linear().applyTranspose(gy, gz);
          accumulate(g, gx, n.inputs()[0], gz);
      } else if (n.op() instanceof Op.Activation a) {
          double[] z = n.input(vals, x, 0);
          double[] gz = new double[gy.length];
          for (int k = 0; k < gz.length; k++) {
            gz[k] = a.spec().derivative(z[k]) * gy[k];
          }
          accumulate(g, gx, n.inputs()[0], gz);
      } else if (n.op() instanceof Op.Softmax s) {
          double[] p = vals[i];
          double dot = 0;
          for (int k = 0; k < gy.length; k++) {
            dot += p[k] * gy[k];
          }
          double[] gz = new double[gy.length];
          for (int k = 0; k < gz.length; k++) {
            gz[k] = p[k] * (gy[k] - dot);
          }
          accumulate(g, gx, n.inputs()[0], gz);
      } else if (n.op() instanceof Op.MaxPool p) {
          double[] z = n.input(vals, x, 0);
          double[] gz = new double[p.inDim()];
          for (int r = 0; r < gy.length; r++) {
            gz[argmax(z, p.windows()[r])] += gy[r];
          }
          accumulate(g, gx, n.inputs()[0], gz);
      } else if (n.op() instanceof Op.Sum s) {
          for (int j = 0; j < n.inputs().length; j++) {
            double[] gz = new double[gy.length];
            for (int k = 0; k < gz.length; k++) {
              gz[k] = s.coeffs()[j] * gy[k];
            }
            accumulate(g, gx, n.inputs()[j], gz);
          }
      } else if (n.op() instanceof Op.Concat c) {
          int off = 0;
          for (int j = 0; j < n.inputs().length; j++) {
            int len = n.inputs()[j] < 0 ? inputDim : nodes.get(n.inputs()[j]).outDim();
            double[] gz = new double[len];
            System.arraycopy(gy, off, gz, 0, len);
            off += len;
            accumulate(g, gx, n.inputs()[j], gz);
          }
      }
    }
    return gx;
  }

  private static void accumulate(double[][] g, double[] gx, int target, double[] gz) {
    double[] dst = gradientSink(g, gx, target, gz);
    if (dst != null) {
      for (int k = 0; k < gz.length; k++) {
        dst[k] += gz[k];
      }
    }
  }

  /**
   * Where a gradient gz flowing back into node {@code target} goes in a backward pass: the network input's gradient
   * gx for −1; a node's first gradient is stored as is (null returned); later ones are to be added to the array
   * returned. One rule for the double pass here and the float batches of the probes.
   */
  public static <T> T gradientSink(T[] g, T gx, int target, T gz) {
    if (target < 0) {
      return gx;
    }
    if (g[target] == null) {
      g[target] = gz;
      return null;
    }
    return g[target];
  }


  private static int argmax(double[] z, int[] window) {
    int best = window[0];
    for (int k : window) {
      if (z[k] > z[best]) {
        best = k;
      }
    }
    return best;
  }

  public static void softmax(double[] z, double[] y) {
    double m = Double.NEGATIVE_INFINITY;
    for (double d : z) {
      m = Math.max(m, d);
    }
    double s = 0;
    for (int k = 0; k < z.length; k++) {
      y[k] = Math.exp(z[k] - m);
      s += y[k];
    }
    for (int k = 0; k < z.length; k++) {
      y[k] /= s;
    }
  }
}
