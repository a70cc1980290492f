package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.bounds.ExtractedNetwork;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Probes through the engine's own network representation: forward pass and vector–Jacobian product of
 * {@link ExtractedNetwork}, per example in double precision, examples of a batch in parallel. It serves every model
 * the engine can represent (ONNX models, DL4J ComputationGraphs, for which DL4J has no input gradient), and it
 * probes exactly the map the bounds are of: the network's output with a final softmax dropped. When the output keeps
 * an element-wise activation (e.g. a sigmoid), margins are on that output, so a certificate margin > √2·L·ε uses a
 * bound L of the same map.
 */
public final class NetworkClassifier implements Classifier {
  private final ExtractedNetwork net;

  public NetworkClassifier(ExtractedNetwork net) {
    this.net = net;
  }

  @Override
  public String path() {
    return "engine-" + net.kind().toLowerCase(java.util.Locale.ROOT);
  }

  public ExtractedNetwork network() {
    return net;
  }

  private double[][] rows(INDArray x) {
    if (x.size(1) != net.inputDim()) {
      throw new IllegalArgumentException("input size " + x.size(1) + " does not match the network's " + net.inputDim());
    }
    return x.castTo(DataType.DOUBLE).toDoubleMatrix();
  }

  private double[][] outputs(INDArray x) {
    double[][] in = rows(x);
    double[][] out = new double[in.length][];
    IntStream.range(0, in.length).parallel().forEach(i -> out[i] = net.output(in[i]));
    return out;
  }

  @Override
  public INDArray logits(INDArray x) {
    return Nd4j.createFromArray(outputs(x)).castTo(DataType.FLOAT);
  }

  @Override
  public INDArray logitsDouble(INDArray x) {
    return Nd4j.createFromArray(outputs(x));
  }

  /**
   * Per row, the cross-entropy gradient direction on the outputs divided by 1 − p_y (softmax over the other classes,
   * minus the one-hot label; it never saturates to zero for confident samples), pulled back to the input by the
   * network's vector–Jacobian product.
   */
  @Override
  public Step step(INDArray x, INDArray onehot) {
    double[][] in = rows(x);
    double[][] oh = onehot.castTo(DataType.DOUBLE).toDoubleMatrix();
    int n = in.length;
    double[][] z = new double[n][];
    double[][] g = new double[n][];
    IntStream.range(0, n).parallel().forEach(i -> {
      double[][] vals = net.forward(in[i]);
      double[] zi = vals[vals.length - 1];
      z[i] = zi;
      g[i] = net.vjp(vals, in[i], direction(zi, oh[i]));
    });
    return new Step(Nd4j.createFromArray(z).castTo(DataType.FLOAT), Nd4j.createFromArray(g).castTo(DataType.FLOAT));
  }

  static double[] direction(double[] z, double[] onehot) {
    double m = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < z.length; k++) {
      if (onehot[k] == 0) {
        m = Math.max(m, z[k]);
      }
    }
    double[] u = new double[z.length];
    double s = 0;
    for (int k = 0; k < z.length; k++) {
      if (onehot[k] == 0) {
        u[k] = Math.exp(z[k] - m);
        s += u[k];
      }
    }
    for (int k = 0; k < z.length; k++) {
      u[k] = onehot[k] == 0 ? (s > 0 ? u[k] / s : 0) : -onehot[k];
    }
    return u;
  }
}
