package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.SpectralNorm;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Op;
import io.lipwatch.estimator.network.UnsupportedLayerException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.UpperBound;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Bounds against ground truth: linear and non-negative ReLU nets and a linear residual graph (L exact, from DL4J's
 * forward pass and parameters via {@link Truth}), enumerated patterns, random nets.
 */
class BoundsTest {
  static final double TOL = 1e-9;

  static LipschitzEngine engine(String... methods) {
    // the per-layer rules themselves: without composing consecutive affine maps (AffineFusionTest covers that)
    return new LipschitzEngine(EngineConfig.defaults().withMethods(Set.of(methods)).withBudget(Duration.ofSeconds(20))).withoutFusion();
  }

  /** The extracted network's Jacobian at {@code at}, column by column through its own J·v. */
  static double[][] engineJacobian(ExtractedNetwork x, double[] at) {
    double[][] vals = x.forward(at);
    double[][] j = new double[x.outputDim()][x.inputDim()];
    for (int c = 0; c < x.inputDim(); c++) {
      double[] e = new double[x.inputDim()];
      e[c] = 1;
      double[] col = x.jvp(vals, at, e);
      for (int r = 0; r < col.length; r++) {
        j[r][c] = col[r];
      }
    }
    return j;
  }

  static void assertSameMatrix(double[][] want, double[][] got, double tol, String what) {
    assertEquals(want.length, got.length, what + " rows");
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i].length, got[i].length, what + " columns");
      for (int j = 0; j < want[i].length; j++) {
        assertEquals(want[i][j], got[i][j], tol * (1 + Math.abs(want[i][j])), what + " entry " + i + "," + j);
      }
    }
  }

  static UpperBound upper(LipschitzEngine.Computed c, String method) {
    return c.upper().stream().filter(u -> u.method().equals(method)).findFirst().orElseThrow(() -> new AssertionError("no " + method));
  }

  static void zeroBiases(MultiLayerNetwork net) {
    for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
      INDArray b = l.getParam("b");
      if (b != null) {
        b.assign(0);
      }
    }
  }

  static void checkOrdering(LipschitzEngine.Computed c, double truth, double lowerRatio) {
    for (UpperBound u : c.upper()) {
      if (u.sound()) {
        assertTrue(u.value() >= truth * (1 - TOL), u.method() + " " + u.value() + " < truth " + truth);
      }
    }
    for (LowerBound l : c.lower()) {
      assertTrue(l.value() <= truth * (1 + 1e-7), l.method() + " " + l.value() + " > truth " + truth);
    }
    assertTrue(c.bounds().bestLower() >= lowerRatio * truth, "bestLower " + c.bounds().bestLower() + " vs " + truth);
  }

  /**
   * A linear MLP: its logit Jacobian J = W₄W₃W₂W₁ comes from DL4J's own forward pass and output-layer weights, L = ‖J‖₂
   * from LAPACK's symmetric eigen-solver. The extracted network must have exactly that Jacobian.
   */
  @Test
  void linearNetworkExact() {
    MultiLayerNetwork net = Nets.mlp(1, Activation.IDENTITY, false, 12, 9, 7, 4);
    zeroBiases(net);
    double[][] jac = Truth.logitJacobian(net, 12);
    double truth = Truth.spectralNorm(jac);
    ExtractedNetwork x = NetworkExtractor.extract(net);
    assertSameMatrix(jac, engineJacobian(x, Nets.randomInputs(1, 1, 12)[0]), 1e-12, "extracted Jacobian vs DL4J");
    LipschitzEngine.Computed c = engine().compute(x, WarmStart.EMPTY, null);
    // power iteration on a linear map converges to its norm
    checkOrdering(c, truth, 1 - 1e-6);
    // AutoLip on a chain is the product of the layer norms, each from DL4J's W
    double product = 1;
    for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
      product *= Truth.spectralNorm(Truth.dense(l.getParam("W")));
    }
    assertEquals(product, upper(c, "autolip").value(), 1e-9 * product);
    assertTrue(c.bounds().bestUpper() <= product * (1 + 1e-9), "bestUpper above AutoLip: " + c.bounds());
  }

  @Test
  void nonNegativeReluNetworkExact() {
    MultiLayerNetwork net = Nets.mlp(2, Activation.RELU, true, 2, 10, 30, 20, 2);
    zeroBiases(net);
    // all-positive inputs keep every unit active: L = ‖W₄W₃W₂W₁‖₂ exactly, the Jacobian of DL4J's forward pass there
    double[][] jac = Truth.logitJacobian(net, 2);
    double truth = Truth.spectralNorm(jac);
    ExtractedNetwork x = NetworkExtractor.extract(net);
    assertSameMatrix(jac, engineJacobian(x, new double[] {0.3, 0.8}), 1e-12, "extracted Jacobian vs DL4J");
    double[][] probes = Nets.randomInputs(3, 8, 2);
    LipschitzEngine.Computed c = engine().compute(x, WarmStart.EMPTY, probes);
    checkOrdering(c, truth, 0.99);
    UpperBound seq = c.upper().stream().filter(u -> u.method().startsWith("seqlip")).findFirst().orElseThrow();
    UpperBound auto = c.upper().stream().filter(u -> u.method().equals("autolip")).findFirst().orElseThrow();
    assertTrue(seq.value() <= auto.value() * (1 + 1e-9), "seqlip " + seq.value() + " > autolip " + auto.value());
  }

  /** Tiny ReLU net: enumerate every activation pattern of its 6 hidden units; SeqLip (exact) sits above that maximum. */
  @Test
  void seqLipExactAboveEnumeratedPatterns() {
    MultiLayerNetwork net = Nets.mlp(3, Activation.RELU, false, 3, 6, 2);
    ExtractedNetwork x = NetworkExtractor.extract(net);
    DenseMatrix w1 = (DenseMatrix) x.linearNodes().get(0).linear();
    DenseMatrix w2 = (DenseMatrix) x.linearNodes().get(1).linear();
    double maxPattern = 0;
    for (int mask = 0; mask < 64; mask++) {
      double[] d = new double[36];
      for (int i = 0; i < 6; i++) {
        d[i * 6 + i] = (mask >> i & 1);
      }
      maxPattern = Math.max(maxPattern, SpectralNorm.singularValues(w2.times(new DenseMatrix(6, 6, d)).times(w1))[0]);
    }
    UpperBound s = SeqLip.bound(x, true, 0);
    assertEquals("seqlip", s.method());
    assertTrue(s.sound());
    // for two layers SeqLip is exactly the max over patterns (Gram bound: within 1%)
    assertTrue(s.value() >= maxPattern * (1 - TOL) && s.value() <= maxPattern * 1.01, s.value() + " vs " + maxPattern);
    LipschitzEngine.Computed c = engine().compute(x, WarmStart.EMPTY, null);
    for (LowerBound l : c.lower()) {
      assertTrue(l.value() <= maxPattern * (1 + 1e-7));
    }
  }

  /** Many random small networks: every lower bound ≤ every sound upper bound. */
  @Test
  void propertyLowerBelowSoundUpper() {
    Random r = new Random(17);
    Activation[] acts = {Activation.RELU, Activation.TANH, Activation.SIGMOID, Activation.LEAKYRELU, Activation.ELU};
    LipschitzEngine e = new LipschitzEngine(EngineConfig.defaults().withBudget(Duration.ofSeconds(5)));
    for (int t = 0; t < 25; t++) {
      int depth = 2 + r.nextInt(3);
      int[] widths = new int[depth + 1];
      for (int i = 0; i <= depth; i++) {
        widths[i] = 2 + r.nextInt(8);
      }
      MultiLayerNetwork net = Nets.mlp(100 + t, acts[t % acts.length], false, widths);
      ExtractedNetwork x = NetworkExtractor.extract(net);
      LipschitzEngine.Computed c = e.compute(x, WarmStart.EMPTY, null);
      double best = c.bounds().bestUpper();
      for (LowerBound l : c.lower()) {
        assertTrue(l.value() <= best * (1 + 1e-9), "net " + t + ": " + l.method() + " " + l.value() + " > " + best);
      }
    }
    // and CNNs and graphs
    for (long seed = 1; seed <= 3; seed++) {
      for (ExtractedNetwork x : List.of(NetworkExtractor.extract(ForwardTest.cnn(seed)),
          NetworkExtractor.extract(ForwardTest.residual(seed), null))) {
        LipschitzEngine.Computed c = e.compute(x, WarmStart.EMPTY, null);
        for (LowerBound l : c.lower()) {
          for (UpperBound u : c.upper()) {
            if (u.sound()) {
              assertTrue(l.value() <= u.value(), x.kind() + " " + l.method() + " " + l.value() + " > " + u.method() + " " + u.value());
            }
          }
        }
      }
    }
  }

  /** in → d1 → d2 → add(in, d2) → [d3 ‖ d4] → out, every layer linear and without bias. */
  static ComputationGraph linearResidual(long seed) {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(seed).dataType(DataType.DOUBLE)
        .weightInit(WeightInit.XAVIER).graphBuilder().addInputs("in")
        .addLayer("d1", new DenseLayer.Builder().nIn(6).nOut(6).activation(Activation.IDENTITY).hasBias(false).build(), "in")
        .addLayer("d2", new DenseLayer.Builder().nIn(6).nOut(6).activation(Activation.IDENTITY).hasBias(false).build(), "d1")
        .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "in", "d2")
        .addLayer("d3", new DenseLayer.Builder().nIn(6).nOut(4).activation(Activation.IDENTITY).hasBias(false).build(), "add")
        .addLayer("d4", new DenseLayer.Builder().nIn(6).nOut(3).activation(Activation.IDENTITY).hasBias(false).build(), "add")
        .addVertex("merge", new MergeVertex(), "d3", "d4")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(7).nOut(3).activation(Activation.IDENTITY)
            .hasBias(false).build(), "merge")
        .setOutputs("out").build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    return g;
  }

  /**
   * A linear residual graph: J = W_out·[W₃; W₄]·(I + W₂W₁) from DL4J's parameters, checked against DL4J's forward
   * pass; L = ‖J‖₂ exactly. Sound bounds sit above it, lower bounds reach it, and AutoLip's add and merge rules give
   * exactly ‖W_out‖·√(‖W₃‖² + ‖W₄‖²)·(1 + ‖W₂‖‖W₁‖).
   */
  @Test
  void graphResidualAndMerge() {
    ComputationGraph g = linearResidual(9);
    double[][] w1 = Truth.dense(g.getLayer("d1").getParam("W"));
    double[][] w2 = Truth.dense(g.getLayer("d2").getParam("W"));
    double[][] w3 = Truth.dense(g.getLayer("d3").getParam("W"));
    double[][] w4 = Truth.dense(g.getLayer("d4").getParam("W"));
    double[][] wo = Truth.dense(g.getLayer("out").getParam("W"));
    double[][] res = Truth.times(w2, w1);
    for (int i = 0; i < 6; i++) {
      res[i][i] += 1;
    }
    double[][] stacked = new double[7][];
    System.arraycopy(w3, 0, stacked, 0, 4);
    System.arraycopy(w4, 0, stacked, 4, 3);
    double[][] jac = Truth.times(wo, Truth.times(stacked, res));
    assertSameMatrix(jac, Truth.graphJacobian(g, 6), 1e-12, "J from parameters vs DL4J's forward pass");
    double truth = Truth.spectralNorm(jac);

    ExtractedNetwork x = NetworkExtractor.extract(g, null);
    assertEquals("ComputationGraph", x.kind());
    assertTrue(x.nodes().stream().anyMatch(n -> n.op() instanceof Op.Sum));
    assertTrue(x.nodes().stream().anyMatch(n -> n.op() instanceof Op.Concat));
    assertSameMatrix(jac, engineJacobian(x, Nets.randomInputs(2, 1, 6)[0]), 1e-12, "extracted Jacobian vs DL4J");
    LipschitzEngine.Computed c = engine().compute(x, WarmStart.EMPTY, null);
    checkOrdering(c, truth, 1 - 1e-6);
    double n3 = Truth.spectralNorm(w3);
    double n4 = Truth.spectralNorm(w4);
    double rules = Truth.spectralNorm(wo) * Math.sqrt(n3 * n3 + n4 * n4) * (1 + Truth.spectralNorm(w2) * Truth.spectralNorm(w1));
    // AutoLip is exactly those rules with exact layer norms
    assertEquals(rules, upper(c, "autolip").value(), 1e-9 * rules, "autolip");
    assertTrue(c.bounds().bestUpper() <= rules * (1 + 1e-9), "bestUpper " + c.bounds().bestUpper() + " above " + rules);
  }

  @Test
  void warmStartCutsPowerIterations() {
    MultiLayerNetwork net = Nets.mlp(4, Activation.RELU, false, 64, 48, 32, 10);
    ExtractedNetwork x = NetworkExtractor.extract(net);
    LipschitzEngine e = engine("autolip-power");
    LipschitzEngine.Computed cold = e.compute(x, WarmStart.EMPTY, null);
    // next snapshot: slightly perturbed weights (about 0.1% of their scale, a few optimiser steps)
    INDArray p = net.params();
    p.addi(org.nd4j.linalg.factory.Nd4j.randn(new Random(5).nextLong(), p.shape()).castTo(DataType.DOUBLE).muli(1e-4));
    net.setParams(p);
    ExtractedNetwork x2 = NetworkExtractor.extract(net);
    LipschitzEngine.Computed coldAgain = e.compute(x2, WarmStart.EMPTY, null);
    LipschitzEngine.Computed warm = e.compute(x2, cold.warm(), null);
    int coldIt = coldAgain.upper().get(0).iterations();
    int warmIt = warm.upper().get(0).iterations();
    assertTrue(warmIt * 5 <= coldIt, "warm " + warmIt + " vs cold " + coldIt);
    assertEquals(coldAgain.upper().get(0).value(), warm.upper().get(0).value(), 1e-5 * warm.upper().get(0).value());
    // the warm start is JSON-serialisable
    assertTrue(new io.lipwatch.estimator.stream.WarmStartSerde().deserializer().deserialize("t",
        new io.lipwatch.estimator.stream.WarmStartSerde().serializer().serialize("t", warm.warm())).singularVectors().size() == 3);
  }

  @Test
  void unsupportedLayerIsNamed() {
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().list()
        .layer(new LSTM.Builder().name("memory").nIn(3).nOut(4).build())
        .layer(new org.deeplearning4j.nn.conf.layers.RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(4).nOut(2).build())
        .build());
    net.init();
    UnsupportedLayerException ex = assertThrows(UnsupportedLayerException.class, () -> NetworkExtractor.extract(net));
    assertTrue(ex.getMessage().contains("memory") && ex.getMessage().contains("LSTM"), ex.getMessage());
  }

  @Test
  void overlappingMaxPoolingConstant() {
    ExtractedNetwork x = NetworkExtractor.extract(ForwardTest.cnn(1));
    Op.MaxPool p = (Op.MaxPool) x.nodes().stream().filter(n -> n.op() instanceof Op.MaxPool).findFirst().orElseThrow().op();
    // 3×3 windows, stride 2: an input is in at most ⌈3/2⌉² = 4 windows
    assertEquals(4, p.maxMultiplicity());
    assertEquals(2.0, p.lipschitz(), 0);
  }
}
