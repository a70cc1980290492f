package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.linalg.DenseMatrix;

import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Small DL4J networks for the bounds tests (double precision, fixed seeds). */
final class Nets {
  private Nets() {}

  static MultiLayerNetwork mlp(long seed, Activation act, boolean nonNegative, int... widths) {
    NeuralNetConfiguration.ListBuilder lb = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.DOUBLE)
        .weightInit(WeightInit.XAVIER).list();
    for (int i = 0; i + 2 < widths.length; i++) {
      lb.layer(new DenseLayer.Builder().nIn(widths[i]).nOut(widths[i + 1]).activation(act).build());
    }
    int n = widths.length;
    lb.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(widths[n - 2]).nOut(widths[n - 1])
        .activation(Activation.SOFTMAX).build());
    MultiLayerNetwork net = new MultiLayerNetwork(lb.build());
    net.init();
    if (nonNegative) {
      INDArray p = net.params();
      Nd4j.getExecutioner().exec(new org.nd4j.linalg.api.ops.impl.transforms.same.Abs(p, p));
    }
    return net;
  }

  /** A single convolution (identity activation, zero bias) on c×h×w. */
  static MultiLayerNetwork conv(long seed, int c, int h, int w, int cout, int k, int stride, int pad, int dil, ConvolutionMode mode) {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.DOUBLE)
        .weightInit(WeightInit.XAVIER).convolutionMode(mode).list()
        .layer(new ConvolutionLayer.Builder(k, k).nOut(cout).stride(stride, stride).padding(pad, pad).dilation(dil, dil)
            .activation(Activation.IDENTITY).hasBias(false).build())
        .setInputType(InputType.convolutionalFlat(h, w, c)).build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }

  /** The explicit matrix of a linear network: DL4J's own forward pass on every basis vector. */
  static DenseMatrix explicit(MultiLayerNetwork net, int inDim) {
    INDArray eye = Nd4j.eye(inDim).castTo(DataType.DOUBLE);
    INDArray out = net.output(eye).castTo(DataType.DOUBLE); // row j = A e_j
    int m = (int) out.length() / inDim;
    double[] o = out.reshape(inDim, m).dup('c').data().asDouble();
    double[] a = new double[m * inDim];
    for (int j = 0; j < inDim; j++) {
      for (int i = 0; i < m; i++) {
        a[i * inDim + j] = o[j * m + i];
      }
    }
    return new DenseMatrix(m, inDim, a);
  }

  /** Seeded uniform inputs in [0,1]^dim: the engine's own probe generator, arguments in this class's order. */
  static double[][] randomInputs(long seed, int n, int dim) {
    return LowerBounds.randomInputs(n, dim, seed);
  }
}
