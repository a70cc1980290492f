package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.linalg.Conv2dOperator;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.linalg.LinearOperator;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;
import java.util.List;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The forward pass and vector–Jacobian product of an {@link ExtractedNetwork} on a whole batch in float32: dense
 * layers as one GEMM each (ND4J/BLAS, as the DL4J path runs them), convolutions as one im2col GEMM ({@link ConvGemm}),
 * every other node on flat float arrays, operators without a batched form (pooling matrices) row by row in parallel.
 * The same arithmetic as the engine's double path, in float; certificates use the double path.
 */
final class BatchedNetwork {
  private final ExtractedNetwork net;
  /** Per node: Aᵀ ([in, out]) and A ([out, in]) in float for dense affine nodes, else null. */
  private final INDArray[] at;
  private final INDArray[] a;
  /** Per node: the convolution as an im2col GEMM, else null. */
  private final ConvGemm[] conv;

  BatchedNetwork(ExtractedNetwork net) {
    this.net = net;
    List<Node> nodes = net.nodes();
    at = new INDArray[nodes.size()];
    a = new INDArray[nodes.size()];
    conv = new ConvGemm[nodes.size()];
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).linear() instanceof Conv2dOperator c) {
        conv[i] = new ConvGemm(c);
      }
      if (nodes.get(i).linear() instanceof DenseMatrix d) {
        INDArray m = Nd4j.createFromArray(d.data()).reshape('c', d.rows(), d.cols()).castTo(DataType.FLOAT);
        a[i] = m.dup('c');
        at[i] = m.transpose().dup('c');
      }
    }
  }

  /** Node values of a batch (flat, row-major [n, dim] each); {@code x} is [n, inputDim]. */
  float[][] forward(float[] x, int n) {
    List<Node> nodes = net.nodes();
    float[][] v = new float[nodes.size()][];
    for (int i = 0; i < nodes.size(); i++) {
      Node node = nodes.get(i);
      int out = node.outDim();
      float[] y;
      if (node.op() instanceof Op.Affine af) {
        float[] z = node.input(v, x, 0);
        y = apply(i, af.linear(), z, n, false);
        if (af.bias() != null) {
          double[] b = af.bias();
          for (int r = 0; r < n; r++) {
            for (int k = 0; k < out; k++) {
              y[r * out + k] += (float) b[k];
            }
          }
        }
      } else if (node.op() instanceof Op.Activation act) {
        float[] z = node.input(v, x, 0);
        y = new float[z.length];
        for (int k = 0; k < z.length; k++) {
          y[k] = (float) act.spec().apply(z[k]);
        }
      } else if (node.op() instanceof Op.Softmax) {
        float[] z = node.input(v, x, 0);
        y = new float[z.length];
        for (int r = 0; r < n; r++) {
          double m = Double.NEGATIVE_INFINITY;
          for (int k = 0; k < out; k++) {
            m = Math.max(m, z[r * out + k]);
          }
          double s = 0;
          for (int k = 0; k < out; k++) {
            s += Math.exp(z[r * out + k] - m);
          }
          for (int k = 0; k < out; k++) {
            y[r * out + k] = (float) (Math.exp(z[r * out + k] - m) / s);
          }
        }
      } else if (node.op() instanceof Op.MaxPool p) {
        float[] z = node.input(v, x, 0);
        int inDim = p.inDim();
        y = new float[n * out];
        for (int r = 0; r < n; r++) {
          for (int o = 0; o < out; o++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int k : p.windows()[o]) {
              m = Math.max(m, z[r * inDim + k]);
            }
            y[r * out + o] = m;
          }
        }
      } else if (node.op() instanceof Op.Sum s) {
        y = new float[n * out];
        for (int j = 0; j < node.inputs().length; j++) {
          float[] z = node.input(v, x, j);
          float c = (float) s.coeffs()[j];
          for (int k = 0; k < y.length; k++) {
            y[k] += c * z[k];
          }
        }
      } else if (node.op() instanceof Op.Concat) {
        y = new float[n * out];
        int off = 0;
        for (int j = 0; j < node.inputs().length; j++) {
          float[] z = node.input(v, x, j);
          int len = dim(node.inputs()[j]);
          for (int r = 0; r < n; r++) {
            System.arraycopy(z, r * len, y, r * out + off, len);
          }
          off += len;
        }
      } else {
        throw new IllegalStateException("no batched form of " + node.op());
      }
      v[i] = y;
    }
    return v;
  }

  /** Input gradient of ⟨u, output⟩ per row, {@code vals} = forward(x). */
  float[] vjp(float[][] vals, float[] x, float[] u, int n) {
    List<Node> nodes = net.nodes();
    int m = nodes.size();
    float[][] g = new float[m][];
    g[m - 1] = u.clone();
    float[] gx = new float[n * net.inputDim()];
    for (int i = m - 1; i >= 0; i--) {
      Node node = nodes.get(i);
      float[] gy = g[i];
      if (gy == null) {
        continue;
      }
      int out = node.outDim();
      if (node.op() instanceof Op.Affine af) {
        accumulate(g, gx, node.inputs()[0], apply(i, af.linear(), gy, n, true));
      } else if (node.op() instanceof Op.Activation act) {
        float[] z = node.input(vals, x, 0);
        float[] gz = new float[gy.length];
        for (int k = 0; k < gz.length; k++) {
          gz[k] = (float) (act.spec().derivative(z[k]) * gy[k]);
        }
        accumulate(g, gx, node.inputs()[0], gz);
      } else if (node.op() instanceof Op.Softmax) {
        float[] p = vals[i];
        float[] gz = new float[gy.length];
        for (int r = 0; r < n; r++) {
          double dot = 0;
          for (int k = 0; k < out; k++) {
            dot += p[r * out + k] * gy[r * out + k];
          }
          for (int k = 0; k < out; k++) {
            gz[r * out + k] = (float) (p[r * out + k] * (gy[r * out + k] - dot));
          }
        }
        accumulate(g, gx, node.inputs()[0], gz);
      } else if (node.op() instanceof Op.MaxPool p) {
        float[] z = node.input(vals, x, 0);
        int inDim = p.inDim();
        float[] gz = new float[n * inDim];
        for (int r = 0; r < n; r++) {
          for (int o = 0; o < out; o++) {
            int[] w = p.windows()[o];
            int best = w[0];
            for (int k : w) {
              if (z[r * inDim + k] > z[r * inDim + best]) {
                best = k;
              }
            }
            gz[r * inDim + best] += gy[r * out + o];
          }
        }
        accumulate(g, gx, node.inputs()[0], gz);
      } else if (node.op() instanceof Op.Sum s) {
        for (int j = 0; j < node.inputs().length; j++) {
          float c = (float) s.coeffs()[j];
          float[] gz = new float[gy.length];
          for (int k = 0; k < gz.length; k++) {
            gz[k] = c * gy[k];
          }
          accumulate(g, gx, node.inputs()[j], gz);
        }
      } else if (node.op() instanceof Op.Concat) {
        int off = 0;
        for (int j = 0; j < node.inputs().length; j++) {
          int len = dim(node.inputs()[j]);
          float[] gz = new float[n * len];
          for (int r = 0; r < n; r++) {
            System.arraycopy(gy, r * out + off, gz, r * len, len);
          }
          off += len;
          accumulate(g, gx, node.inputs()[j], gz);
        }
      }
    }
    return gx;
  }

  private int dim(int node) {
    return node < 0 ? net.inputDim() : net.nodes().get(node).outDim();
  }

  /** y = A·x (or Aᵀ·x) for every row: one GEMM for dense matrices, otherwise the operator row by row in parallel. */
  private float[] apply(int node, LinearOperator op, float[] z, int n, boolean transpose) {
    int inDim = transpose ? op.outDim() : op.inDim();
    int outDim = transpose ? op.inDim() : op.outDim();
    if (at[node] != null) {
      INDArray m = Nd4j.createFromArray(z).reshape('c', n, inDim);
      return m.mmul(transpose ? a[node] : at[node]).dup('c').data().asFloat();
    }
    if (conv[node] != null) {
      return conv[node].apply(z, n, transpose);
    }
    float[] y = new float[n * outDim];
    IntStream.range(0, n).parallel().forEach(r -> {
      double[] xr = new double[inDim];
      for (int k = 0; k < inDim; k++) {
        xr[k] = z[r * inDim + k];
      }
      double[] yr = new double[outDim];
      if (transpose) {
        op.applyTranspose(xr, yr);
      } else {
        op.apply(xr, yr);
      }
      for (int k = 0; k < outDim; k++) {
        y[r * outDim + k] = (float) yr[k];
      }
    });
    return y;
  }

  private static void accumulate(float[][] g, float[] gx, int target, float[] gz) {
    float[] dst = ExtractedNetwork.gradientSink(g, gx, target, gz);
    if (dst != null) {
      for (int k = 0; k < gz.length; k++) {
        dst[k] += gz[k];
      }
    }
  }

}
