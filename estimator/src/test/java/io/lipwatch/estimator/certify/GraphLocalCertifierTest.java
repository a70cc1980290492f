package io.lipwatch.estimator.certify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.AutoLip;
import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.network.ExtractedNetwork;
import java.util.List;
import java.util.SplittableRandom;
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
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Local certificates of CNNs and DAGs ({@link GraphLocalCertifier}), checked against the networks themselves: every
 * node stays inside its interval bounds on the ball, no margin moves faster than its local bound, the bound is never
 * below the exact gradient norm at x (a known lower bound of the local constant) and meets it on tiny balls where no
 * neuron can switch, certified samples survive a margin ascent, and local ⊇ pairwise ⊇ global sample by sample.
 */
class GraphLocalCertifierTest {

  enum Net {
    /** convolution (same padding), batch norm, overlapping 3×3/2 max pooling, convolution, average pooling, dense. */
    CNN,
    /** dense layers with a residual sum and a concatenation. */
    DAG,
    /** convolution → ReLU → 2×2 max pooling → dense: the plain small CNN. */
    SMALL_CNN;

    ExtractedNetwork build(long seed) {
      return switch (this) {
        case CNN -> NetworkExtractor.extract(cnn(seed));
        case DAG -> NetworkExtractor.extract(residual(seed), null);
        case SMALL_CNN -> NetworkExtractor.extract(smallCnn(seed));
      };
    }
  }

  static MultiLayerNetwork cnn(long seed) {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.DOUBLE)
        .weightInit(WeightInit.XAVIER).list()
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(4).convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build())
        .layer(new BatchNormalization.Builder().build())
        .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3).stride(2, 2).build())
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(5).stride(1, 1).padding(1, 1).activation(Activation.TANH).build())
        .layer(new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(2, 2).stride(1, 1).convolutionMode(ConvolutionMode.Same).build())
        .layer(new ActivationLayer.Builder().activation(Activation.LEAKYRELU).build())
        .layer(new DenseLayer.Builder().nOut(7).activation(Activation.ELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutionalFlat(9, 9, 2)).build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    // non-trivial batch-norm statistics and affine parameters (a negative γ flips signs)
    org.deeplearning4j.nn.api.Layer bn = net.getLayer(1);
    bn.setParam("mean", Nd4j.create(new double[] {0.1, -0.2, 0.3, 0.05}, new long[] {1, 4}));
    bn.setParam("var", Nd4j.create(new double[] {0.5, 2.0, 1.5, 0.2}, new long[] {1, 4}));
    bn.setParam("gamma", Nd4j.create(new double[] {1.5, -0.7, 0.9, 2.1}, new long[] {1, 4}));
    bn.setParam("beta", Nd4j.create(new double[] {0.1, 0.2, -0.3, 0.0}, new long[] {1, 4}));
    return net;
  }

  static MultiLayerNetwork smallCnn(long seed) {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.DOUBLE)
        .weightInit(WeightInit.XAVIER).list()
        .layer(new ConvolutionLayer.Builder(3, 3).nOut(6).activation(Activation.RELU).build())
        .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
        .layer(new DenseLayer.Builder().nOut(16).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(4).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutionalFlat(10, 10, 1)).build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }

  static ComputationGraph residual(long seed) {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.DOUBLE)
        .weightInit(WeightInit.XAVIER).graphBuilder().addInputs("in")
        .addLayer("d1", new DenseLayer.Builder().nIn(6).nOut(12).activation(Activation.RELU).build(), "in")
        .addLayer("d2", new DenseLayer.Builder().nIn(12).nOut(6).activation(Activation.IDENTITY).build(), "d1")
        .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "in", "d2")
        .addLayer("d3", new DenseLayer.Builder().nIn(6).nOut(8).activation(Activation.TANH).build(), "add")
        .addLayer("d4", new DenseLayer.Builder().nIn(6).nOut(8).activation(Activation.RELU).build(), "add")
        .addVertex("merge", new MergeVertex(), "d3", "d4")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(4).activation(Activation.SOFTMAX).build(), "merge")
        .setOutputs("out").build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    return g;
  }

  static double[][] inputs(long seed, int n, int d) {
    return LocalCertifierTest.inputs(seed, n, d);
  }

  static double norm(double[] v) {
    double s = 0;
    for (double e : v) {
      s += e * e;
    }
    return Math.sqrt(s);
  }

  static double[] marginGradient(ExtractedNetwork net, double[] x, int y, int j) {
    double[][] v = net.forward(x);
    double[] u = new double[net.outputDim()];
    u[y] = 1;
    u[j] = -1;
    return net.vjp(v, x, u);
  }

  @ParameterizedTest
  @EnumSource(Net.class)
  void intervalsAndMarginBoundsHoldOnTheBall(Net kind) {
    ExtractedNetwork net = kind.build(3);
    assertTrue(DenseChain.of(net).isEmpty(), "not a dense chain: the graph certifier is the one that applies");
    assertNull(GraphLocalCertifier.inapplicable(net));
    GraphLocalCertifier gc = GraphLocalCertifier.of(net, 0);
    PairwiseBounds pw = PairwiseBounds.compute(net, AutoLip.sound(net).value(), 0);
    int k = net.outputDim();
    SplittableRandom r = new SplittableRandom(5);
    int checks = 0;
    for (double[] x : inputs(7, 5, net.inputDim())) {
      GraphLocalCertifier.Enclosure at = gc.point(x);
      double[][] exact = net.forward(x);
      for (int n = 0; n < gc.nodes(); n++) {
        for (int i = 0; i < exact[n].length; i++) {
          assertTrue(exact[n][i] >= at.lo()[n][i] && exact[n][i] <= at.hi()[n][i], kind + ": value at x outside its enclosure");
        }
      }
      for (double eps : new double[] {0.01, 0.1, 0.5}) {
        GraphLocalCertifier.Enclosure ball = gc.ball(at, x, eps);
        double[][] lip = new double[k][k];
        for (int y = 0; y < k; y++) {
          for (int j = 0; j < k; j++) {
            if (y != j) {
              // both enclosures (box and ball) at once: a sampled change above the smaller one refutes that one
              lip[y][j] = Math.min(gc.marginLipschitz(ball, y, j, pw.lip()[y][j]),
                  gc.marginLipschitzBall(ball, y, j, pw.lip()[y][j]));
              assertTrue(lip[y][j] <= pw.lip()[y][j], "local above pairwise");
              double grad = norm(marginGradient(net, x, y, j));
              assertTrue(lip[y][j] >= grad, kind + ": local bound " + lip[y][j] + " below the gradient norm " + grad + " at x");
            }
          }
        }
        for (int t = 0; t < 150; t++) {
          double[] a = LocalCertifierTest.inBall(x, eps, r);
          double[] b = t % 2 == 0 ? x : LocalCertifierTest.inBall(x, eps, r);
          double[][] va = net.forward(a);
          double[][] vb = net.forward(b);
          for (int n = 0; n < gc.nodes(); n++) {
            for (int i = 0; i < va[n].length; i++) {
              assertTrue(va[n][i] >= ball.lo()[n][i] && va[n][i] <= ball.hi()[n][i], kind + " node " + n + " ("
                  + net.nodes().get(n).name() + ") unit " + i + ": " + va[n][i] + " outside [" + ball.lo()[n][i] + ", "
                  + ball.hi()[n][i] + "] at ε=" + eps);
            }
          }
          double dist = 0;
          for (int i = 0; i < a.length; i++) {
            dist += (a[i] - b[i]) * (a[i] - b[i]);
          }
          dist = Math.sqrt(dist);
          double[] la = va[va.length - 1];
          double[] lb = vb[vb.length - 1];
          for (int y = 0; y < k; y++) {
            for (int j = 0; j < k; j++) {
              if (y != j) {
                double change = Math.abs((la[y] - la[j]) - (lb[y] - lb[j]));
                assertTrue(change <= lip[y][j] * dist * (1 + 1e-9) + 1e-12,
                    kind + ": margin " + y + "," + j + " moved " + change + " over " + dist + ", local bound " + lip[y][j]);
                checks++;
              }
            }
          }
        }
      }
    }
    assertTrue(checks > 1000);
  }

  /**
   * Known answer: on a ball so small that no neuron can switch and no max-pool window can change its winner, the
   * network is affine there and the margin's local Lipschitz constant is exactly ‖∇m(x)‖₂; the bound must meet it.
   */
  @ParameterizedTest
  @EnumSource(Net.class)
  void onATinyBallTheBoundIsTheExactGradientNorm(Net kind) {
    ExtractedNetwork net = kind.build(9);
    GraphLocalCertifier gc = GraphLocalCertifier.of(net, 0);
    int k = net.outputDim();
    int tight = 0;
    int total = 0;
    for (double[] x : inputs(21, 8, net.inputDim())) {
      GraphLocalCertifier.Enclosure at = gc.point(x);
      GraphLocalCertifier.Enclosure ball = gc.ball(at, x, 1e-9);
      for (int y = 0; y < k; y++) {
        for (int j = y + 1; j < k; j++) {
          double grad = norm(marginGradient(net, x, y, j));
          double box = gc.marginLipschitz(ball, y, j, Double.POSITIVE_INFINITY);
          double sphere = gc.marginLipschitzBall(ball, y, j, Double.POSITIVE_INFINITY);
          assertTrue(box >= grad && sphere >= grad, kind + ": " + box + ", " + sphere + " < " + grad);
          total++;
          // the certificate uses the smaller (the ball form alone is loose where batch norm follows tied windows of
          // inactive ReLUs); smooth activations keep a slope range of width ~ε·φ″ there: a small relative excess
          if (Math.min(box, sphere) <= grad * (1 + 1e-5) + 1e-12) {
            tight++;
          }
        }
      }
    }
    assertEquals(total, tight, kind + ": the bound should equal the gradient norm on a tiny ball");
  }

  @ParameterizedTest
  @EnumSource(Net.class)
  void certifiedSamplesSurviveAMarginAscentAndLocalBeatsPairwise(Net kind) {
    ExtractedNetwork net = kind.build(11);
    double[][] x = inputs(13, 120, net.inputDim());
    int[] labels = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      labels[i] = Certifier.argmax(net.output(x[i]));
    }
    double global = AutoLip.sound(net).value();
    List<Double> eps = List.of(0.01, 0.03, 0.1);
    CertifiedSets cs = Certifier.run(net, x, labels, null, eps, global, 0);
    assertTrue(cs.warnings().stream().noneMatch(w -> w.contains("local = pairwise")), cs.warnings().toString());
    int better = 0;
    for (CertifiedSets.PerEps pe : cs.perEps()) {
      for (int i = 0; i < x.length; i++) {
        assertTrue(!pe.global()[i] || pe.pairwise()[i], "global but not pairwise, sample " + i);
        assertTrue(!pe.pairwise()[i] || pe.local()[i], "pairwise but not local, sample " + i);
        if (pe.local()[i]) {
          assertFalse(LocalCertifierTest.attack(net, x[i], labels[i], pe.eps()),
              kind + ": certified sample " + i + " broken at ε=" + pe.eps());
        }
      }
      better += LocalCertifierTest.count(pe.local()) - LocalCertifierTest.count(pe.pairwise());
    }
    assertTrue(better > 0, kind + ": local certificates should certify more samples than pairwise ones somewhere");
    assertEquals(x.length, cs.localSamples());
  }

  @Test
  void aSpentBudgetKeepsThePairwiseResultOnACnn() {
    ExtractedNetwork net = Net.SMALL_CNN.build(11);
    double[][] x = inputs(13, 30, net.inputDim());
    int[] labels = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      labels[i] = Certifier.argmax(net.output(x[i]));
    }
    CertifiedSets cs = Certifier.run(net, x, labels, null, List.of(0.01), AutoLip.sound(net).value(), System.nanoTime() - 1);
    assertEquals(0, cs.localSamples());
    assertTrue(cs.warnings().stream().anyMatch(w -> w.contains("stopped by the time budget")), cs.warnings().toString());
    CertifiedSets.PerEps pe = cs.perEps().get(0);
    for (int i = 0; i < x.length; i++) {
      assertEquals(pe.pairwise()[i], pe.local()[i]);
    }
  }

  /** Wide MLPs: no Gram matrices, the row-wise enclosures only; still sound on the ball and never weaker than pairwise. */
  @Test
  void withoutGramMatricesTheChainCertificateStaysSound() {
    ExtractedNetwork net = NetworkExtractor.extract(LocalCertifierTest.mlp(3, Activation.RELU, 12, 24, 24, 4));
    DenseChain chain = DenseChain.of(net).orElseThrow();
    LocalCertifier with = new LocalCertifier(chain, true);
    LocalCertifier without = new LocalCertifier(chain, false);
    PairwiseBounds pw = PairwiseBounds.compute(net, null, 0);
    SplittableRandom r = new SplittableRandom(3);
    for (double[] x : inputs(4, 6, 12)) {
      for (double eps : new double[] {0.05, 0.3}) {
        LocalCertifier.Ball b = without.ball(without.point(x), eps);
        LocalCertifier.Ball bw = with.ball(with.point(x), eps);
        for (int y = 0; y < 4; y++) {
          for (int j = 0; j < 4; j++) {
            if (y == j) {
              continue;
            }
            double lip = without.marginLipschitz(b, y, j, pw.lip()[y][j]);
            assertTrue(lip <= pw.lip()[y][j]);
            assertTrue(lip >= norm(marginGradient(net, x, y, j)));
            assertTrue(with.marginLipschitz(bw, y, j, pw.lip()[y][j]) <= lip * (1 + 1e-12), "the Gram matrices only tighten");
            for (int t = 0; t < 60; t++) {
              double[] a = LocalCertifierTest.inBall(x, eps, r);
              double[] za = net.output(a);
              double[] zx = net.output(x);
              double change = Math.abs((za[y] - za[j]) - (zx[y] - zx[j]));
              assertTrue(change <= lip * eps * (1 + 1e-9) + 1e-12);
            }
          }
        }
      }
    }
  }
}
