package io.lipwatch.estimator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.AutoLip;
import io.lipwatch.estimator.bounds.DenseMatrix;
import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.bounds.ExtractedNetwork;
import io.lipwatch.estimator.bounds.NetworkExtractor;
import io.lipwatch.estimator.bounds.SpectralNorm;
import io.lipwatch.estimator.bounds.Stage;
import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.testing.TestModels;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/** AutoLip against networks whose Lipschitz constant is known exactly. */
class EngineGroundTruthTest {

  static double exactProductNorm(ExtractedNetwork net) {
    DenseMatrix p = null;
    for (Stage s : net.linearStages()) {
      p = p == null ? s.linear() : s.linear().times(p);
    }
    return SpectralNorm.exactUpper(p) / (1.0 + 1e-9);
  }

  @Test
  void singleLinearLayerIsExact() {
    MultiLayerNetwork net = TestModels.mlp(11, Activation.IDENTITY, 30, 7);
    ExtractedNetwork x = NetworkExtractor.extract(net);
    double exact = exactProductNorm(x);
    double autolip = AutoLip.sound(x).value();
    assertEquals(exact, autolip, 1e-8 * exact);
    assertTrue(autolip >= exact);
  }

  @Test
  void soundAutoLipNeverBelowTheExactConstantOfLinearAndNonNegativeReluNets() {
    for (long seed = 1; seed <= 10; seed++) {
      for (Activation act : new Activation[] {Activation.IDENTITY, Activation.RELU}) {
        MultiLayerNetwork net = TestModels.mlp(seed, act, 9, 12, 8, 3);
        if (act == Activation.RELU) {
          TestModels.nonNegative(net); // all-active pattern: L = ‖W3 W2 W1‖₂ exactly
        }
        ExtractedNetwork x = NetworkExtractor.extract(net);
        double exact = exactProductNorm(x);
        var sound = AutoLip.sound(x);
        var power = AutoLip.powerEstimate(x, EngineConfig.defaults(), WarmStart.EMPTY).bound();
        assertTrue(sound.sound());
        assertTrue(sound.value() >= exact * (1 - 1e-12), seed + " " + act + ": " + sound.value() + " < " + exact);
        assertTrue(power.value() <= sound.value() * (1 + 1e-9));
        assertTrue(!power.sound());
      }
    }
  }

  @Test
  void sigmoidHiddenLayersCountOneQuarter() {
    MultiLayerNetwork net = TestModels.mlp(3, Activation.SIGMOID, 5, 4, 2);
    ExtractedNetwork x = NetworkExtractor.extract(net);
    double w1 = SpectralNorm.exactUpper(x.linearStages().get(0).linear());
    double w2 = SpectralNorm.exactUpper(x.linearStages().get(1).linear());
    assertEquals(w1 * w2 * 0.25, AutoLip.sound(x).value(), 1e-12 * w1 * w2);
  }
}
