package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.linalg.SpectralNorm;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The pair search against what plain sampling finds and against exact values: on a 2-input ReLU net it must beat the
 * Jacobian norm at 20 000 uniform points of the box (and stay below ECLipsE's sound bound); on a linear map it reaches
 * the norm; every pair stays inside the box.
 */
class PairSearchTest {
  /** max ‖J(x)‖ over n uniform points of [0,1]^d: the plain-sampling baseline. */
  static double sampled(ExtractedNetwork net, int n, long seed) {
    double[][] xs = LowerBounds.randomInputs(n, net.inputDim(), seed);
    return LowerBounds.gradientNorm(net, xs, 30, seed, 0).bound().value();
  }

  @Test
  void beatsUniformSamplingOnASmallReluNet() {
    for (long seed : new long[] {3, 4, 5}) {
      List<DenseMatrix> w = EclipseFastTest.weights(seed, false, 2, 16, 16, 1);
      ExtractedNetwork net = EclipseFastTest.net(w, EclipseFastTest.RELU);
      double[][] probes = LowerBounds.randomInputs(8, 2, seed + 100);
      LowerBounds.Result g = LowerBounds.gradientNorm(net, probes, 50, 1, 0);
      double clip = LowerBounds.clipPairs(net, probes, g.pairs(), LipschitzEngine.CLIP_STEPS, 2, 0).bound().value();
      LowerBounds.Result s = LowerBounds.search(net, probes, g.pairs(), LowerBounds.domain(probes), 48, 3, 0);
      double base = sampled(net, 20_000, seed);
      double upper = EclipseFastTest.eclipse(w, EclipseFastTest.RELU).value();
      String what = "seed " + seed + ": search " + s.bound().value() + ", clip " + clip + ", gradient " + g.bound().value()
          + ", 20000 samples " + base + ", eclipse " + upper;
      System.out.println(what);
      assertTrue(s.bound().value() >= base * (1 - 1e-3), what);
      assertTrue(s.bound().value() >= clip, what);
      assertTrue(s.bound().value() <= upper, what);
      for (double[][] p : s.pairs()) {
        for (double[] x : p) {
          for (double v : x) {
            assertTrue(v >= 0 && v <= 1, "pair outside the box: " + v);
          }
        }
        assertTrue(LowerBounds.ratio(net, p[0], p[1]) <= s.bound().value() * (1 + 1e-12));
      }
    }
  }

  @Test
  void reachesTheNormOfALinearMap() {
    Random r = new Random(8);
    double[] a = new double[5 * 7];
    for (int i = 0; i < a.length; i++) {
      a[i] = r.nextGaussian();
    }
    DenseMatrix m = new DenseMatrix(5, 7, a);
    ExtractedNetwork net = new ExtractedNetwork("MultiLayerNetwork",
        List.of(new Node("d", "OutputLayer", new int[] {-1}, new Op.Affine(m, null), 5)), new long[] {7}, 7, 5, 1, 0);
    double exact = SpectralNorm.exactUpper(m);
    LowerBounds.Result s = LowerBounds.search(net, LowerBounds.randomInputs(4, 7, 1), List.of(), new double[] {0, 1}, 8, 5, 0);
    assertTrue(s.bound().value() <= exact * (1 + 1e-9));
    assertEquals(exact, s.bound().value(), 1e-4 * exact);
    assertTrue(s.bound().note().contains("[0.0, 1.0]^7"), s.bound().note());
  }
}
