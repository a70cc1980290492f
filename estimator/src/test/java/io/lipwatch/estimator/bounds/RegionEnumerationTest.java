package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.network.ActivationSpec;
import io.lipwatch.estimator.network.ExtractedNetwork;
import io.lipwatch.estimator.network.Node;
import io.lipwatch.estimator.network.Op;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Exact constants of small-input networks by enumerating activation regions, against closed forms: one ReLU is |w₂|·|w₁|
 * exactly; |x₁| − |x₂| written with four ReLUs has L = √2; a non-negative ReLU net's constant is its all-active norm;
 * and on random 2-input nets the value sits between the pair search and ECLipsE's sound bound.
 */
class RegionEnumerationTest {
  static ExtractedNetwork net(List<DenseMatrix> w, List<double[]> b, ActivationSpec act) {
    ExtractedNetwork x = EclipseFastTest.net(w, act);
    List<Node> nodes = new java.util.ArrayList<>(x.nodes());
    int k = 0;
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).op() instanceof Op.Affine a) {
        nodes.set(i, new Node(nodes.get(i).name(), nodes.get(i).type(), nodes.get(i).inputs(), new Op.Affine(a.linear(), b.get(k++)),
            nodes.get(i).outDim()));
      }
    }
    return new ExtractedNetwork(x.kind(), nodes, x.inputShape(), x.inputDim(), x.outputDim(), x.layers(), 0);
  }

  static double regionMax(ExtractedNetwork x) {
    MethodOutcome o = new RegionEnumeration().compute(new MethodContext(x, EngineConfig.defaults(), WarmStart.EMPTY,
        LowerBounds.randomInputs(4, x.inputDim(), 1), List.of(), System.nanoTime() + 20_000_000_000L, true));
    assertTrue(o.lower().note().contains("every region met"), o.lower().note());
    return o.lower().value();
  }

  @Test
  void absDifferenceHasConstantSqrtTwo() {
    // relu(x1) + relu(−x1) − relu(x2) − relu(−x2) = |x1| − |x2|: gradient (±1, ±1) everywhere, L = √2
    DenseMatrix w1 = new DenseMatrix(4, 2, new double[] {1, 0, -1, 0, 0, 1, 0, -1});
    DenseMatrix w2 = new DenseMatrix(1, 4, new double[] {1, 1, -1, -1});
    ExtractedNetwork x = net(List.of(w1, w2), List.of(new double[] {0.3, -0.3, 0.1, -0.1}, new double[] {0.5}), EclipseFastTest.RELU);
    assertEquals(Math.sqrt(2), regionMax(x), 1e-9);
  }

  @Test
  void nonNegativeNetsAtTheirAllActiveNorm() {
    List<DenseMatrix> w = EclipseFastTest.weights(21, true, 3, 8, 8, 2);
    Random r = new Random(2);
    List<double[]> b = List.of(new double[8], new double[8], new double[2]);
    for (double[] v : b) {
      for (int i = 0; i < v.length; i++) {
        v[i] = r.nextGaussian();
      }
    }
    double exact = EclipseFastTest.product(w);
    assertEquals(exact, regionMax(net(w, b, EclipseFastTest.RELU)), 1e-9 * exact);
  }

  @Test
  void randomTwoInputNetsBetweenSearchAndSoundBounds() {
    for (long seed : new long[] {3, 4, 5}) {
      List<DenseMatrix> w = EclipseFastTest.weights(seed, false, 2, 16, 16, 1);
      ExtractedNetwork x = EclipseFastTest.net(w, EclipseFastTest.RELU);
      double exact = regionMax(x);
      double upper = EclipseFastTest.eclipse(w, EclipseFastTest.RELU).value();
      double[][] probes = LowerBounds.randomInputs(8, 2, seed + 100);
      double search = LowerBounds.search(x, probes, List.of(), LowerBounds.domain(probes), 16, 3, 0).bound().value();
      System.out.println("seed " + seed + ": region-max " + exact + ", pair-search in [0,1]² " + search + ", eclipse " + upper);
      assertTrue(exact >= search * (1 - 1e-9) && exact <= upper, "seed " + seed);
    }
  }

  @Test
  void runsInTheEngineOnlyOnSmallInputs() {
    List<DenseMatrix> w = EclipseFastTest.weights(9, false, 2, 6, 3);
    LipschitzEngine.Computed c = new LipschitzEngine(EngineConfig.defaults().withMethods(Set.of(RegionEnumeration.METHOD))
        .withBudget(Duration.ofSeconds(10))).compute(EclipseFastTest.net(w, EclipseFastTest.RELU), WarmStart.EMPTY, null);
    assertEquals(1, c.lower().size(), c.warnings().toString());
    assertTrue(new RegionEnumeration().inapplicable(EclipseFastTest.net(EclipseFastTest.weights(1, false, 5, 4, 2), EclipseFastTest.RELU)) != null);
    assertTrue(new RegionEnumeration().inapplicable(EclipseFastTest.net(w, EclipseFastTest.TANH)) != null);
  }
}
