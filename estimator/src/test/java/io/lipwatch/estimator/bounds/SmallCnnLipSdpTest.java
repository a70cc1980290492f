package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.linalg.Conv2dOperator;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.lipsdp.LipSdp;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.testing.Required;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * LipSDP and ECLipsE-Fast on a small CNN through its unrolled dense form. With non-negative weights the constant is
 * exactly ‖W·C‖₂ (the all-active Jacobian dominates every other entry-wise), so both must sit above it and below AutoLip.
 */
class SmallCnnLipSdpTest {
  static ExtractedNetwork cnn(long seed, boolean nonNegative) {
    Random r = new Random(seed);
    double[] k = new double[3 * 1 * 9];
    for (int i = 0; i < k.length; i++) {
      k[i] = nonNegative ? Math.abs(r.nextGaussian()) / 3 : r.nextGaussian() / 3;
    }
    Conv2dOperator conv = new Conv2dOperator(1, 6, 6, 3, 4, 4, 3, 3, 1, 1, 1, 1, 0, 0, k);
    double[] w = new double[4 * 48];
    for (int i = 0; i < w.length; i++) {
      w[i] = nonNegative ? Math.abs(r.nextGaussian()) / 7 : r.nextGaussian() / 7;
    }
    List<Node> nodes = new ArrayList<>();
    nodes.add(new Node("conv", "ConvolutionLayer", new int[] {-1}, new Op.Affine(conv, null), 48));
    nodes.add(new Node("relu", "activation", new int[] {0}, new Op.Activation(EclipseFastTest.RELU), 48));
    nodes.add(new Node("out", "OutputLayer", new int[] {1}, new Op.Affine(new DenseMatrix(4, 48, w), null), 4));
    return new ExtractedNetwork("MultiLayerNetwork", nodes, new long[] {1, 6, 6}, 36, 4, 2, 0);
  }

  static UpperBound upper(LipschitzEngine.Computed c, String m) {
    return c.upper().stream().filter(u -> u.method().equals(m)).findFirst().orElseThrow(() -> new AssertionError("no " + m + ": " + c.warnings()));
  }

  @Test
  void lipSdpAndEclipseRunOnTheUnrolledCnn() {
    Required.tool("csdp", "coinor-csdp");
    for (boolean nonNegative : new boolean[] {true, false}) {
      ExtractedNetwork x = cnn(nonNegative ? 1 : 2, nonNegative);
      assertTrue(LipSdpMethod.mlp(x).isPresent(), "the CNN's unrolled form is an MLP");
      LipschitzEngine.Computed c = new LipschitzEngine(EngineConfig.defaults().withMethods(Set.of(AutoLip.METHOD, LipSdp.Mode.NEURON.method(),
          EclipseFast.METHOD, LowerBounds.GRADIENT, LowerBounds.CLIP)).withBudget(Duration.ofSeconds(10))).compute(x, WarmStart.EMPTY, null);
      double auto = upper(c, AutoLip.METHOD).value();
      double sdp = upper(c, LipSdp.Mode.NEURON.method()).value();
      double ecl = upper(c, EclipseFast.METHOD).value();
      double lower = c.bounds().bestLower();
      double exact = nonNegative ? EclipseFastTest.product(List.of(x.nodes().get(0).linear().toDense(), (DenseMatrix) x.nodes().get(2).linear())) : lower;
      String what = "nonNegative=" + nonNegative + ": exact/lower " + exact + ", lipsdp " + sdp + ", eclipse " + ecl + ", autolip " + auto;
      System.out.println(what);
      assertTrue(sdp >= exact && ecl >= exact, what);
      assertTrue(sdp <= auto * (1 + 1e-9) && ecl <= auto * (1 + 1e-9), what);
      assertTrue(sdp <= ecl * (1 + 1e-6), what);
    }
  }
}
