package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.linalg.Conv2dOperator;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.DiagonalOperator;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.UpperBound;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/**
 * Consecutive affine maps composed before the upper bounds: a linear chain becomes exact (its norm from DL4J's own
 * forward pass), batch norm folds into the dense layer or convolution next to it, and the fused network computes the
 * same function.
 */
class AffineFusionTest {
  static final Random R = new Random(17);

  static double[] gauss(int n) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = R.nextGaussian();
    }
    return a;
  }

  static void sameFunction(ExtractedNetwork a, ExtractedNetwork b) {
    for (double[] x : LowerBounds.randomInputs(5, a.inputDim(), 3)) {
      double[] ya = a.output(x);
      double[] yb = b.output(x);
      for (int k = 0; k < ya.length; k++) {
        assertEquals(ya[k], yb[k], 1e-12 * (1 + Math.abs(ya[k])), "output " + k);
      }
    }
  }

  @Test
  void aLinearChainGetsItsExactNorm() {
    MultiLayerNetwork net = Nets.mlp(11, Activation.IDENTITY, false, 12, 9, 7, 4);
    double truth = Truth.spectralNorm(Truth.logitJacobian(net, 12));
    ExtractedNetwork x = NetworkExtractor.extract(net);
    AffineFusion.Fused f = AffineFusion.fuse(x);
    assertEquals(1, f.net().nodes().size(), "three dense layers, no activation between: one affine map");
    assertEquals(2, f.fused());
    assertTrue(f.allowance() > 0 && f.allowance() < 1e-12 * truth, "rounding allowance " + f.allowance());
    sameFunction(x, f.net());
    LipschitzEngine.Computed c = new LipschitzEngine(EngineConfig.defaults().withMethods(Set.of(AutoLip.METHOD, AutoLip.GRAM_METHOD,
        LowerBounds.GRADIENT)).withBudget(Duration.ofSeconds(20))).compute(x, WarmStart.EMPTY, null);
    UpperBound auto = c.upper().stream().filter(u -> u.method().equals(AutoLip.METHOD)).findFirst().orElseThrow();
    assertTrue(auto.sound() && auto.value() >= truth, auto.value() + " below the exact " + truth);
    assertEquals(truth, auto.value(), 1e-9 * truth, "AutoLip of the composed chain is its norm");
    assertTrue(auto.note().contains("composed exactly"), auto.note());
    assertEquals(truth, c.bounds().bestLower(), 1e-6 * truth, "the lower bound runs on the stored network and reaches L");
  }

  @Test
  void batchNormFoldsIntoTheDenseLayerBeforeAndAfterIt() {
    DenseMatrix w1 = new DenseMatrix(6, 4, gauss(24));
    DenseMatrix w2 = new DenseMatrix(3, 6, gauss(18));
    DiagonalOperator bn = new DiagonalOperator(gauss(6));
    DiagonalOperator bnIn = new DiagonalOperator(gauss(4));
    List<Node> nodes = new ArrayList<>();
    nodes.add(new Node("bnIn", "BatchNormalization", new int[] {-1}, new Op.Affine(bnIn, gauss(4)), 4));
    nodes.add(new Node("d1", "DenseLayer", new int[] {0}, new Op.Affine(w1, gauss(6)), 6));
    nodes.add(new Node("bn", "BatchNormalization", new int[] {1}, new Op.Affine(bn, gauss(6)), 6));
    nodes.add(new Node("relu", "activation", new int[] {2}, new Op.Activation(EclipseFastTest.RELU), 6));
    nodes.add(new Node("d2", "OutputLayer", new int[] {3}, new Op.Affine(w2, gauss(3)), 3));
    ExtractedNetwork x = new ExtractedNetwork("MultiLayerNetwork", nodes, new long[] {4}, 4, 3, 4, 0);
    AffineFusion.Fused f = AffineFusion.fuse(x);
    assertEquals(3, f.net().nodes().size(), "bnIn·d1·bn is one dense map: " + f.net().nodes());
    assertTrue(f.net().nodes().get(0).linear() instanceof DenseMatrix);
    sameFunction(x, f.net());
    // the fused MLP is what LipSDP and ECLipsE need: dense, activation, dense
    assertTrue(LipSdpMethod.mlp(f.net()).isPresent());
    assertTrue(LipSdpMethod.mlp(x).isEmpty());
  }

  @Test
  void batchNormAfterAConvolutionScalesItsKernel() {
    Conv2dOperator conv = new Conv2dOperator(2, 6, 6, 3, 4, 4, 3, 3, 1, 1, 1, 1, 0, 0, gauss(3 * 2 * 9));
    double[] d = new double[3 * 16];
    for (int ch = 0; ch < 3; ch++) {
      java.util.Arrays.fill(d, ch * 16, ch * 16 + 16, 0.5 + ch);
    }
    List<Node> nodes = new ArrayList<>();
    nodes.add(new Node("conv", "ConvolutionLayer", new int[] {-1}, new Op.Affine(conv, null), 48));
    nodes.add(new Node("bn", "BatchNormalization", new int[] {0}, new Op.Affine(new DiagonalOperator(d), gauss(48)), 48));
    nodes.add(new Node("relu", "activation", new int[] {1}, new Op.Activation(EclipseFastTest.RELU), 48));
    nodes.add(new Node("out", "OutputLayer", new int[] {2}, new Op.Affine(new DenseMatrix(5, 48, gauss(240)), null), 5));
    ExtractedNetwork x = new ExtractedNetwork("MultiLayerNetwork", nodes, new long[] {2, 6, 6}, 72, 5, 3, 0);
    AffineFusion.Fused f = AffineFusion.fuse(x);
    assertEquals(3, f.net().nodes().size());
    assertTrue(f.net().nodes().get(0).linear() instanceof Conv2dOperator, "still a convolution for the FFT bounds");
    sameFunction(x, f.net());
    double before = AutoLip.sound(x).value();
    double after = f.inflate(AutoLip.sound(f.net())).value();
    assertTrue(after <= before * (1 + 1e-9), "fusion never loosens AutoLip: " + after + " vs " + before);
  }
}
