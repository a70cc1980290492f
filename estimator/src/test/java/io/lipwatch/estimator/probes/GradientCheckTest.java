package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Input gradients of every path against central finite differences of the cross-entropy of the logits. */
class GradientCheckTest {

  /** Per-row CE of double-precision logits. */
  static double[] ce(Classifier c, INDArray x, int[] labels) {
    double[][] z = c.logitsDouble(x).toDoubleMatrix();
    double[] out = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      double m = Double.NEGATIVE_INFINITY;
      for (double v : z[i]) {
        m = Math.max(m, v);
      }
      double s = 0;
      for (double v : z[i]) {
        s += Math.exp(v - m);
      }
      out[i] = m + Math.log(s) - z[i][labels[i]];
    }
    return out;
  }

  /** Checks rows of the analytic gradient against central differences; returns the analytic/numeric norm ratios. */
  static double[] check(Classifier c, ProbeSet s, double h, double cosMin) {
    Attacks.Batch b = ProbeRunner.batches(s, s.count()).get(0);
    INDArray g = c.step(b.x(), b.onehot()).grad();
    int n = b.n();
    int d = (int) b.x().size(1);
    double[][] num = new double[n][d];
    for (int j = 0; j < d; j++) {
      INDArray xp = b.x().dup();
      INDArray xm = b.x().dup();
      for (int i = 0; i < n; i++) {
        xp.putScalar(i, j, xp.getDouble(i, j) + h);
        xm.putScalar(i, j, xm.getDouble(i, j) - h);
      }
      double[] fp = ce(c, xp, b.labels());
      double[] fm = ce(c, xm, b.labels());
      for (int i = 0; i < n; i++) {
        num[i][j] = (fp[i] - fm[i]) / (2 * h);
      }
    }
    double[][] an = g.toDoubleMatrix();
    double[] ratio = new double[n];
    for (int i = 0; i < n; i++) {
      double dot = 0;
      double na = 0;
      double nn = 0;
      for (int j = 0; j < d; j++) {
        dot += an[i][j] * num[i][j];
        na += an[i][j] * an[i][j];
        nn += num[i][j] * num[i][j];
      }
      double cos = dot / Math.sqrt(na * nn);
      assertTrue(cos > cosMin, c.path() + " row " + i + ": cosine with finite differences " + cos);
      ratio[i] = Math.sqrt(na / nn);
    }
    return ratio;
  }

  static ProbeSet set(Model m, int n, List<Integer> shape, int k) {
    return Fixtures.labelledBy(m, Fixtures.uniformSet("g", n, shape, k, 0.1, 0.9, 5), 0.3, 9);
  }

  @Test
  void fastPathIsTheCrossEntropyGradient() {
    MultiLayerNetwork net = Fixtures.mlp(3, 12, 8, 4, Activation.TANH);
    ProbeSet s = set(net, 6, List.of(12), 4);
    DenseClassifier fast = DenseClassifier.tryOf(net);
    for (double r : check(fast.withExactScale(), s, 1e-4, 0.9999)) {
      assertEquals(1.0, r, 1e-3, "exact-scale gradient has the CE magnitude");
    }
    // the saturation-free direction used by the attacks: same direction, positive factor
    check(fast, s, 1e-4, 0.9999);
  }

  @Test
  void dl4jMultiLayerPathMatches() {
    MultiLayerNetwork net = Fixtures.mlp(4, 12, 8, 4, Activation.RELU);
    ProbeSet s = set(net, 6, List.of(12), 4);
    Dl4jClassifier c = new Dl4jClassifier(net, new long[] {12});
    assertTrue(c.crossEntropyLoss);
    check(c, s, 1e-3, 0.999);
  }

  @Test
  void dl4jConvolutionalPathMatches() {
    MultiLayerNetwork net = Fixtures.cnn(5, 8, 3);
    ProbeSet s = set(net, 4, List.of(8, 8), 3);
    List<String> warnings = new ArrayList<>();
    Classifier c = ProbeRunner.classifierFor(net, s, true, warnings);
    assertEquals("dl4j-mln", c.path());
    assertTrue(warnings.isEmpty(), warnings.toString());
    // float32 network: a coarser difference step
    check(c, s, 1e-2, 0.99);
  }

  @Test
  void graphGivesLogitsButNoGradients() {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(6).dataType(DataType.FLOAT)
        .weightInit(WeightInit.XAVIER).graphBuilder().addInputs("in")
        .addLayer("h", new DenseLayer.Builder().nIn(10).nOut(8).activation(Activation.TANH).build(), "in")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3)
            .activation(Activation.SOFTMAX).build(), "h")
        .setOutputs("out").build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    ProbeSet s = set(g, 5, List.of(10), 3);
    Classifier c = ProbeRunner.classifierFor(g, s, true, new ArrayList<>());
    assertEquals("dl4j-graph", c.path());
    org.junit.jupiter.api.Assertions.assertFalse(c.hasGradients());
    // the graph's logits are the output layer's pre-softmax values: softmax of them is the graph's output
    Attacks.Batch b = ProbeRunner.batches(s, s.count()).get(0);
    INDArray p = org.nd4j.linalg.ops.transforms.Transforms.softmax(c.logits(b.x()), true);
    assertTrue(p.equalsWithEps(g.outputSingle(b.x()), 1e-5));
    ProbeResult r = ProbeRunner.run(g, s, ProbeConfig.defaults(), 5.0);
    assertTrue(r.probes().attacks().isEmpty());
    assertEquals(4, r.probes().certified().size());
    assertTrue(r.warnings().stream().anyMatch(w -> w.contains("attacks and minimal perturbation skipped")), r.warnings().toString());
  }
}
