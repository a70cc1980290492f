package io.lipwatch.estimator.testing;

import java.util.Random;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A softmax classifier whose logit map has a Lipschitz constant known in closed form: one layer z = xW + b with
 * W = H₁·diag(σ)·H₂ (H Householder reflections, so orthogonal), hence ‖W‖₂ = max σ exactly (up to float32 rounding of
 * the weights, ~1e-7 relative).
 */
public final class KnownLipschitz {
  private KnownLipschitz() {}

  /** in inputs, sigma.length outputs (≤ in), singular values sigma, reflections drawn from seed. */
  public static MultiLayerNetwork model(long seed, int in, double... sigma) {
    int out = sigma.length;
    Random r = new Random(seed);
    double[][] w = new double[in][out];
    for (int k = 0; k < out; k++) {
      w[k][k] = sigma[k];
    }
    w = reflect(householder(r, in), w);
    w = transpose(reflect(householder(r, out), transpose(w)));
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.FLOAT).list()
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(in).nOut(out).activation(Activation.SOFTMAX).build())
        .build());
    net.init();
    net.getLayer(0).setParam("W", Nd4j.createFromArray(w).castTo(DataType.FLOAT));
    double[] b = new double[out];
    for (int k = 0; k < out; k++) {
      b[k] = 0.1 * r.nextGaussian();
    }
    net.getLayer(0).setParam("b", Nd4j.createFromArray(new double[][] {b}).castTo(DataType.FLOAT));
    return net;
  }

  private static double[] householder(Random r, int n) {
    double[] v = new double[n];
    double norm = 0;
    for (int i = 0; i < n; i++) {
      v[i] = r.nextGaussian();
      norm += v[i] * v[i];
    }
    norm = Math.sqrt(norm);
    for (int i = 0; i < n; i++) {
      v[i] /= norm;
    }
    return v;
  }

  /** (I − 2vvᵀ)·m */
  private static double[][] reflect(double[] v, double[][] m) {
    double[][] out = new double[m.length][m[0].length];
    for (int j = 0; j < m[0].length; j++) {
      double dot = 0;
      for (int i = 0; i < m.length; i++) {
        dot += v[i] * m[i][j];
      }
      for (int i = 0; i < m.length; i++) {
        out[i][j] = m[i][j] - 2 * v[i] * dot;
      }
    }
    return out;
  }

  private static double[][] transpose(double[][] a) {
    double[][] t = new double[a[0].length][a.length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[0].length; j++) {
        t[j][i] = a[i][j];
      }
    }
    return t;
  }
}
