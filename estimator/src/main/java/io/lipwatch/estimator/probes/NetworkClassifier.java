package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.network.ExtractedNetwork;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Probes through the engine's own network representation: forward pass and vector–Jacobian product of
 * {@link ExtractedNetwork}. Attacks run batched in float32 ({@link BatchedNetwork}: dense layers as BLAS GEMMs);
 * certification margins ({@link #logitsDouble}) use the engine's double-precision forward pass per example. It serves
 * every model the engine can represent (ONNX models, DL4J ComputationGraphs, for which DL4J has no input gradient), and
 * it probes exactly the map the bounds are of: the logits (the network's output activation, softmax or other, is not
 * part of the extracted network), so a certificate margin > √2·L·ε uses a bound L of the same map.
 */
public final class NetworkClassifier implements Classifier {
  private final ExtractedNetwork net;
  private final BatchedNetwork batched;

  public NetworkClassifier(ExtractedNetwork net) {
    this.net = net;
    this.batched = new BatchedNetwork(net);
  }

  @Override
  public String path() {
    return "engine-" + net.kind().toLowerCase(java.util.Locale.ROOT);
  }

  public ExtractedNetwork network() {
    return net;
  }

  private float[] flat(INDArray x) {
    if (x.size(1) != net.inputDim()) {
      throw new IllegalArgumentException("input size " + x.size(1) + " does not match the network's " + net.inputDim());
    }
    return x.castTo(DataType.FLOAT).dup('c').data().asFloat();
  }

  private static INDArray matrix(float[] flat, int n) {
    return Nd4j.createFromArray(flat).reshape('c', n, n == 0 ? 0 : flat.length / n);
  }

  @Override
  public INDArray logits(INDArray x) {
    int n = (int) x.size(0);
    float[][] v = batched.forward(flat(x), n);
    return matrix(v[v.length - 1], n);
  }

  /** Per example in double precision (the engine's own forward pass): float rounding must not decide a certificate. */
  @Override
  public INDArray logitsDouble(INDArray x) {
    int n = (int) x.size(0);
    int d = (int) x.size(1);
    if (d != net.inputDim()) {
      throw new IllegalArgumentException("input size " + d + " does not match the network's " + net.inputDim());
    }
    double[] in = x.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    int k = net.outputDim();
    double[] out = new double[n * k];
    IntStream.range(0, n).parallel().forEach(i -> {
      double[] z = net.output(java.util.Arrays.copyOfRange(in, i * d, (i + 1) * d));
      System.arraycopy(z, 0, out, i * k, k);
    });
    return Nd4j.createFromArray(out).reshape('c', n, k);
  }

  /**
   * Per row, the cross-entropy gradient direction on the outputs divided by 1 − p_y (softmax over the other classes,
   * minus the one-hot label; it never saturates to zero for confident samples), pulled back to the input.
   */
  @Override
  public Step step(INDArray x, INDArray onehot) {
    int n = (int) x.size(0);
    float[] in = flat(x);
    float[][] vals = batched.forward(in, n);
    float[] z = vals[vals.length - 1];
    float[] oh = onehot.castTo(DataType.FLOAT).dup('c').data().asFloat();
    int k = net.outputDim();
    float[] u = new float[n * k];
    for (int r = 0; r < n; r++) {
      direction(z, oh, r * k, k, u);
    }
    return new Step(matrix(z.clone(), n), matrix(batched.vjp(vals, in, u, n), n));
  }

  @Override
  public boolean supports(LogitLoss loss) {
    return true;
  }

  /** Any logit loss: its gradient on the outputs, pulled back by the vector–Jacobian product. */
  @Override
  public Step step(INDArray x, INDArray onehot, int[] labels, LogitLoss loss) {
    if (loss == LogitLoss.CE) {
      return step(x, onehot);
    }
    int n = (int) x.size(0);
    float[] in = flat(x);
    float[][] vals = batched.forward(in, n);
    INDArray logits = matrix(vals[vals.length - 1].clone(), n);
    float[] u = loss.gradient(logits, labels).castTo(DataType.FLOAT).dup('c').data().asFloat();
    return new Step(logits, matrix(batched.vjp(vals, in, u, n), n));
  }

  private static void direction(float[] z, float[] onehot, int off, int k, float[] u) {
    double m = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < k; j++) {
      if (onehot[off + j] == 0) {
        m = Math.max(m, z[off + j]);
      }
    }
    double s = 0;
    double[] e = new double[k];
    for (int j = 0; j < k; j++) {
      if (onehot[off + j] == 0) {
        e[j] = Math.exp(z[off + j] - m);
        s += e[j];
      }
    }
    for (int j = 0; j < k; j++) {
      u[off + j] = onehot[off + j] == 0 ? (float) (s > 0 ? e[j] / s : 0) : -onehot[off + j];
    }
  }
}
