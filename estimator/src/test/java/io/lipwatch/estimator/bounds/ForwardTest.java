package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Op;

import io.lipwatch.estimator.format.dl4j.NetworkExtractor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The engine's forward pass on the extracted DAG against DL4J's own output(), and Jacobian products by differences. */
class ForwardTest {

  static MultiLayerNetwork cnn(long seed) {
    return cnn(seed, true);
  }

  static MultiLayerNetwork cnn(long seed, boolean logStd) {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.DOUBLE)
        .weightInit(WeightInit.XAVIER).list()
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build())
        .layer(new BatchNormalization.Builder().useLogStd(logStd).build())
        .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3).stride(2, 2).build())
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(5).stride(1, 1).padding(1, 1).dilation(1, 1).activation(Activation.TANH).build())
        .layer(new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(1, 1).convolutionMode(ConvolutionMode.Same).build())
        .layer(new ActivationLayer.Builder().activation(Activation.LEAKYRELU).build())
        .layer(new DropoutLayer.Builder(0.5).build())
        .layer(new DenseLayer.Builder().nOut(7).activation(Activation.ELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutionalFlat(9, 9, 2)).build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    // non-trivial batch-norm statistics and affine parameters
    org.deeplearning4j.nn.api.Layer bn = net.getLayer(1);
    bn.setParam("mean", Nd4j.create(new double[] {0.1, -0.2, 0.3, 0.05}, new long[] {1, 4}));
    double[] var = {0.5, 2.0, 1.5, 0.2};
    if (logStd) {
      double[] ls = new double[4];
      for (int i = 0; i < 4; i++) {
        ls[i] = Math.log10(Math.sqrt(var[i] + 1e-5));
      }
      bn.setParam("log10stdev", Nd4j.create(ls, new long[] {1, 4}));
    } else {
      bn.setParam("var", Nd4j.create(var, new long[] {1, 4}));
    }
    bn.setParam("gamma", Nd4j.create(new double[] {1.5, -0.7, 0.9, 2.1}, new long[] {1, 4}));
    bn.setParam("beta", Nd4j.create(new double[] {0.1, 0.2, -0.3, 0.0}, new long[] {1, 4}));
    return net;
  }

  static ComputationGraph residual(long seed) {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.DOUBLE)
        .weightInit(WeightInit.XAVIER).graphBuilder().addInputs("in")
        .addLayer("d1", new DenseLayer.Builder().nIn(6).nOut(6).activation(Activation.RELU).build(), "in")
        .addLayer("d2", new DenseLayer.Builder().nIn(6).nOut(6).activation(Activation.IDENTITY).build(), "d1")
        .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "in", "d2")
        .addLayer("d3", new DenseLayer.Builder().nIn(6).nOut(4).activation(Activation.TANH).build(), "add")
        .addLayer("d4", new DenseLayer.Builder().nIn(6).nOut(3).activation(Activation.RELU).build(), "add")
        .addVertex("merge", new MergeVertex(), "d3", "d4")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(7).nOut(3).activation(Activation.SOFTMAX).build(), "merge")
        .setOutputs("out").build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    return g;
  }

  private static double[] softmax(double[] z) {
    double[] y = new double[z.length];
    ExtractedNetwork.softmax(z, y);
    return y;
  }

  @Test
  void cnnForwardMatchesDl4j() {
    cnnForward(true);
    cnnForward(false);
  }

  void cnnForward(boolean logStd) {
    MultiLayerNetwork net = cnn(11, logStd);
    ExtractedNetwork x = NetworkExtractor.extract(net);
    assertEquals(162, x.inputDim());
    double[][] in = Nets.randomInputs(5, 4, 162);
    assertSameProbabilities(net.output(Nd4j.create(in)), x, in);
    checkJacobianProducts(x, in[0]);
  }

  @Test
  void graphForwardMatchesDl4j() {
    ComputationGraph g = residual(5);
    ExtractedNetwork x = NetworkExtractor.extract(g, null);
    double[][] in = Nets.randomInputs(6, 4, 6);
    assertSameProbabilities(g.outputSingle(Nd4j.create(in)), x, in);
    checkJacobianProducts(x, in[1]);
  }

  @Test
  void globalPoolingForwardMatchesDl4j() {
    for (PoolingType pt : new PoolingType[] {PoolingType.AVG, PoolingType.MAX}) {
      MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE).list()
          .layer(new ConvolutionLayer.Builder(2, 2).nOut(3).activation(Activation.RELU).build())
          .layer(new GlobalPoolingLayer.Builder(pt).build())
          .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2).activation(Activation.IDENTITY).build())
          .setInputType(InputType.convolutionalFlat(5, 5, 1)).build();
      MultiLayerNetwork net = new MultiLayerNetwork(conf);
      net.init();
      ExtractedNetwork x = NetworkExtractor.extract(net);
      double[][] in = Nets.randomInputs(9, 3, 25);
      INDArray out = net.output(Nd4j.create(in));
      for (int i = 0; i < in.length; i++) {
        double[] ours = x.output(in[i]);
        for (int k = 0; k < 2; k++) {
          assertEquals(out.getDouble(i, k), ours[k], 1e-10, pt + " output " + k);
        }
      }
    }
  }

  /** DL4J's softmax outputs (one row per input) against the engine's logits through softmax, class by class. */
  private static void assertSameProbabilities(INDArray dl4j, ExtractedNetwork x, double[][] in) {
    for (int i = 0; i < in.length; i++) {
      double[] ours = softmax(x.output(in[i]));
      for (int k = 0; k < ours.length; k++) {
        assertEquals(dl4j.getDouble(i, k), ours[k], 1e-10);
      }
    }
  }

  /** J·v and Jᵀ·u agree with central differences and with each other (⟨u, Jv⟩ = ⟨Jᵀu, v⟩). */
  static void checkJacobianProducts(ExtractedNetwork x, double[] at) {
    java.util.Random r = new java.util.Random(1);
    double[] v = new double[x.inputDim()];
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextGaussian();
    }
    double[] u = new double[x.outputDim()];
    for (int i = 0; i < u.length; i++) {
      u[i] = r.nextGaussian();
    }
    double[][] vals = x.forward(at);
    double[] jv = x.jvp(vals, at, v);
    double[] jtu = x.vjp(vals, at, u);
    assertEquals(LowerBounds.dot(u, jv), LowerBounds.dot(jtu, v), 1e-9 * (1 + Math.abs(LowerBounds.dot(u, jv))));
    double h = 1e-6;
    double[] xp = at.clone();
    double[] xm = at.clone();
    for (int i = 0; i < v.length; i++) {
      xp[i] += h * v[i];
      xm[i] -= h * v[i];
    }
    double[] fp = x.output(xp);
    double[] fm = x.output(xm);
    for (int k = 0; k < jv.length; k++) {
      assertTrue(Math.abs((fp[k] - fm[k]) / (2 * h) - jv[k]) < 1e-4 * (1 + Math.abs(jv[k])), "J·v component " + k);
    }
  }
}
