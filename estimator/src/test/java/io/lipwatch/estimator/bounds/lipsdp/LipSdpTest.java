package io.lipwatch.estimator.bounds.lipsdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.SpectralNorm;
import io.lipwatch.estimator.bounds.lipsdp.LipSdp.Mode;
import io.lipwatch.estimator.estimate.UpperBound;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LipSdpTest {
  private static final LipSdp.Limits LIMITS = LipSdp.Limits.defaults();

  @Test
  void scalarChainHasExactConstant() {
    // f(x) = -3·relu(2x): L = 6
    List<DenseMatrix> w = List.of(new DenseMatrix(1, 1, new double[] {2}), new DenseMatrix(1, 1, new double[] {-3}));
    UpperBound b = LipSdp.bound(w, List.of(Nets.RELU), Mode.NEURON, LIMITS);
    assertTrue(b.sound());
    assertEquals("lipsdp", b.method());
    assertEquals(6.0, b.value(), 6e-5, b.note());
    assertTrue(b.value() >= 6.0);
  }

  @Test
  void singleLayerIsTheSpectralNorm() {
    List<DenseMatrix> w = Nets.gaussian(new int[] {7, 5}, new Random(1));
    UpperBound b = LipSdp.bound(w, List.of(), Mode.NEURON, LIMITS);
    double exact = SpectralNorm.exactUpper(w.get(0));
    assertTrue(b.sound());
    assertEquals(exact, b.value(), 1e-5 * exact, b.note());
    assertTrue(b.value() >= exact * (1 - 1e-12));
  }

  @Test
  void nonNegativeReluNetsAreExact() {
    Random r = new Random(42);
    int[][] shapes = {{2, 10, 30, 20, 2}, {5, 8, 8, 3}, {3, 20, 1}, {6, 12, 12, 12, 4}, {60, 7, 5, 2}};
    for (int[] dims : shapes) {
      List<DenseMatrix> w = Nets.nonNegative(dims, r);
      List<ActivationSpec> acts = Nets.acts(dims.length - 2, Nets.RELU);
      LipSdp.Solution s = LipSdp.solve(w, acts, Mode.NEURON, LIMITS);
      double exact = Nets.productNorm(w);
      assertTrue(s.bound().sound());
      assertEquals(exact, s.bound().value(), 1e-3 * exact, java.util.Arrays.toString(dims) + " " + s.bound().note());
      assertTrue(s.bound().value() >= exact * (1 - 1e-9), "an upper bound must not undercut the exact value");
      assertEquals(dims[0] > dims[1], s.bound().note().contains("reduced"), s.bound().note());
    }
  }

  @Test
  void wideInputIsReducedAndStillBetweenBounds() {
    Random r = new Random(11);
    int[] dims = {100, 12, 9, 3};
    List<DenseMatrix> w = Nets.gaussian(dims, r);
    List<ActivationSpec> acts = Nets.acts(2, Nets.RELU);
    UpperBound b = LipSdp.bound(w, acts, Mode.NEURON, LIMITS);
    assertTrue(b.note().contains("reduced 100→12"), b.note());
    double lower = Nets.jacobianLower(w, acts, 200, new Random(1));
    assertTrue(lower <= b.value() && b.value() <= Nets.autoLip(w, acts), lower + " " + b.value());
  }

  @Test
  void randomNetsBetweenJacobianLowerBoundAndAutoLipAndLayerAboveNeuron() {
    Random r = new Random(7);
    for (int n = 0; n < 10; n++) {
      int hiddenLayers = 2 + r.nextInt(2);
      int[] dims = new int[hiddenLayers + 2];
      dims[0] = 2 + r.nextInt(6);
      for (int i = 1; i <= hiddenLayers; i++) {
        dims[i] = 5 + r.nextInt(26);
      }
      dims[hiddenLayers + 1] = 1 + r.nextInt(5);
      ActivationSpec act = n % 3 == 2 ? Nets.TANH : Nets.RELU;
      List<DenseMatrix> w = Nets.gaussian(dims, r);
      List<ActivationSpec> acts = Nets.acts(hiddenLayers, act);
      UpperBound neuron = LipSdp.bound(w, acts, Mode.NEURON, LIMITS);
      UpperBound layer = LipSdp.bound(w, acts, Mode.LAYER, LIMITS);
      double auto = Nets.autoLip(w, acts);
      double lower = Nets.jacobianLower(w, acts, 300, new Random(n));
      String msg = java.util.Arrays.toString(dims) + " " + act.name() + " lower=" + lower + " neuron=" + neuron.value()
          + " layer=" + layer.value() + " autolip=" + auto;
      assertTrue(neuron.sound() && layer.sound(), msg);
      assertEquals("lipsdp-layer", layer.method());
      assertTrue(lower <= neuron.value(), msg);
      assertTrue(neuron.value() <= auto * (1 + 1e-6), msg);
      assertTrue(layer.value() <= auto * (1 + 1e-6), msg);
      assertTrue(layer.value() >= neuron.value() * (1 - 1e-6), msg);
    }
  }

  @Test
  void aSmallMultiplierCostKeepsTheBoundVerifiedAndClose() {
    List<DenseMatrix> w = Nets.gaussian(new int[] {20, 12, 12, 4}, new java.util.Random(77));
    List<ActivationSpec> acts = Nets.acts(2, Nets.RELU);
    LipSdp.Solution pure = LipSdp.solve(w, acts, LipSdp.Mode.NEURON, LipSdp.Limits.defaults());
    LipSdp.Solution tame = LipSdp.solve(w, acts, LipSdp.Mode.NEURON, LipSdp.Limits.defaults(), 1e-3);
    assertTrue(tame.bound().sound());
    assertTrue(tame.bound().value() >= pure.bound().value() * (1 - 1e-6), tame.bound() + " vs " + pure.bound());
    assertTrue(tame.bound().value() <= pure.bound().value() * 1.01, tame.bound() + " vs " + pure.bound());
    double sumPure = java.util.Arrays.stream(pure.multipliers()).sum();
    double sumTame = java.util.Arrays.stream(tame.multipliers()).sum();
    assertTrue(sumTame <= sumPure * (1 + 1e-6), sumTame + " vs " + sumPure);
  }
}
