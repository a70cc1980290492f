package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.linalg.Conv2dOperator;
import io.lipwatch.estimator.linalg.ConvSpectral;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.OperatorNorms;
import io.lipwatch.estimator.network.ExtractedNetwork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.UpperBound;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/**
 * The value of every method, not only their order: on linear networks each per-layer rule and each search has a known
 * answer (layer norms and the network's norm from {@link Truth}, independent of the engine). Mutation testing showed
 * these numbers unchecked by the ordering tests.
 */
class MethodValuesTest {
  static final Set<String> NO_SOLVER = Set.of(AutoLip.METHOD, AutoLip.POWER_METHOD, AutoLip.GRAM_METHOD,
      AutoLip.LIPBOUND_METHOD, SeqLip.METHOD, SeqLip.GREEDY_METHOD, LowerBounds.GRADIENT, LowerBounds.CLIP);

  static LipschitzEngine.Computed compute(ExtractedNetwork x, double[][] probes) {
    return new LipschitzEngine(EngineConfig.defaults().withMethods(NO_SOLVER).withBudget(Duration.ofSeconds(30))).withoutFusion()
        .compute(x, WarmStart.EMPTY, probes);
  }

  static Optional<UpperBound> upper(LipschitzEngine.Computed c, String m) {
    return c.upper().stream().filter(u -> u.method().equals(m)).findFirst();
  }

  static LowerBound lower(LipschitzEngine.Computed c, String m) {
    return c.lower().stream().filter(u -> u.method().equals(m)).findFirst().orElseThrow(() -> new AssertionError("no " + m));
  }

  static void near(double want, double got, double rel, String what) {
    assertEquals(want, got, rel * Math.abs(want), what);
  }

  /** Linear MLP 12-9-7-4: layer norms n_i, product P, network norm L ≤ P. */
  @Test
  void linearMlpEveryMethodAtItsKnownValue() {
    MultiLayerNetwork net = Nets.mlp(11, Activation.IDENTITY, false, 12, 9, 7, 4);
    BoundsTest.zeroBiases(net);
    double product = 1;
    for (org.deeplearning4j.nn.api.Layer l : net.getLayers()) {
      product *= Truth.spectralNorm(Truth.dense(l.getParam("W")));
    }
    double truth = Truth.spectralNorm(Truth.logitJacobian(net, 12));
    assertTrue(truth < product * 0.99, "fixture: the product of norms should be loose here");
    ExtractedNetwork x = NetworkExtractor.extract(net);
    LipschitzEngine.Computed c = compute(x, Nets.randomInputs(4, 6, 12));

    UpperBound auto = upper(c, AutoLip.METHOD).orElseThrow();
    assertTrue(auto.sound());
    near(product, auto.value(), 1e-9, "autolip = Π‖W_i‖");
    UpperBound power = upper(c, AutoLip.POWER_METHOD).orElseThrow();
    assertFalse(power.sound(), "power iteration converges from below: an estimate");
    assertTrue(power.iterations() != null && power.iterations() > 0);
    assertTrue(power.value() <= product * (1 + 1e-9), "power above the product: " + power.value());
    near(product, power.value(), 1e-6, "autolip-power");
    UpperBound gram = upper(c, AutoLip.GRAM_METHOD).orElseThrow();
    assertTrue(gram.sound() && gram.value() >= product * (1 - 1e-12), "gram " + gram.value() + " < " + product);
    near(product, gram.value(), 1e-3, "gram");
    assertTrue(upper(c, AutoLip.LIPBOUND_METHOD).isEmpty(), "lipbound without convolutions: " + c.upper());
    // SeqLip groups consecutive layers: between the network's norm and AutoLip's product
    UpperBound seq = upper(c, SeqLip.METHOD).orElseThrow();
    assertTrue(seq.sound() && seq.value() >= truth * (1 - 1e-9) && seq.value() <= product * (1 + 1e-9),
        "seqlip " + seq.value() + " outside [" + truth + ", " + product + "]");
    assertTrue(seq.value() < product * 0.999, "seqlip gains nothing over AutoLip: " + seq.value() + " vs " + product);
    assertEquals(c.upper().stream().filter(UpperBound::sound).mapToDouble(UpperBound::value).min().orElseThrow(),
        c.bounds().bestUpper(), 0.0, "bestUpper is the smallest sound bound");

    LowerBound grad = lower(c, LowerBounds.GRADIENT);
    assertTrue(grad.value() <= truth * (1 + 1e-9), "gradient-norm above L: " + grad.value());
    near(truth, grad.value(), 1e-6, "gradient-norm reaches ‖J‖ of a linear map");
    LowerBound clip = lower(c, LowerBounds.CLIP);
    assertTrue(clip.value() <= truth * (1 + 1e-9) && clip.value() >= truth * 0.99, "clip-pairs " + clip.value() + " vs " + truth);
  }

  /** One linear convolution 2→3 channels, 3×3 on 8×8, padding 1: its norm from DL4J's explicit matrix. */
  @Test
  void linearConvolutionEveryMethodAtItsKnownValue() {
    MultiLayerNetwork net = Nets.conv(5, 2, 8, 8, 3, 3, 1, 1, 1, ConvolutionMode.Truncate);
    DenseMatrix m = Nets.explicit(net, 128);
    double[][] a = new double[m.rows()][m.cols()];
    for (int i = 0; i < m.rows(); i++) {
      for (int j = 0; j < m.cols(); j++) {
        a[i][j] = m.get(i, j);
      }
    }
    double exact = Truth.spectralNorm(a);
    ExtractedNetwork x = NetworkExtractor.extract(net);
    Conv2dOperator op = (Conv2dOperator) x.nodes().get(0).linear();
    LipschitzEngine.Computed c = compute(x, Nets.randomInputs(6, 6, 128));
    for (UpperBound u : c.upper()) {
      assertTrue(!u.sound() || u.value() >= exact * (1 - 1e-12), u.method() + " " + u.value() + " < exact " + exact);
    }
    near(OperatorNorms.sound(op).value(), upper(c, AutoLip.METHOD).orElseThrow().value(), 1e-12, "autolip = the layer's sound norm");
    near(exact, upper(c, AutoLip.METHOD).orElseThrow().value(), 1e-3, "autolip of one layer");
    double power = upper(c, AutoLip.POWER_METHOD).orElseThrow().value();
    assertTrue(power <= exact * (1 + 1e-9) && power >= exact * (1 - 1e-3), "autolip-power " + power + " vs " + exact);
    UpperBound lip = upper(c, AutoLip.LIPBOUND_METHOD).orElseThrow();
    assertTrue(lip.sound());
    near(ConvSpectral.lipBound(op, AutoLip.LIPBOUND_GRID), lip.value(), 1e-12, "lipbound at its grid");
    near(ConvSpectral.paddedGramUpper(op, OperatorNorms.GRAM_STEPS), upper(c, AutoLip.GRAM_METHOD).orElseThrow().value(), 1e-12, "gram");
    // a convolution's top singular values cluster: iterative methods stop within their tolerance, from below
    double grad = lower(c, LowerBounds.GRADIENT).value();
    assertTrue(grad <= exact * (1 + 1e-9) && grad >= exact * (1 - 1e-3), "gradient-norm " + grad + " vs " + exact);
    assertTrue(lower(c, LowerBounds.CLIP).value() <= exact * (1 + 1e-9));
    assertTrue(c.bounds().bestLower() >= exact * (1 - 1e-3), "bestLower " + c.bounds().bestLower());
  }
}
