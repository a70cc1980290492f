package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.linalg.DenseMatrix;
import io.lipwatch.estimator.network.ExtractedNetwork;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The input-space branch and bound against exact constants: region-max (exact on its box, a real pair's ratio), the
 * all-active norm of non-negative nets, a closed-form bump, and a fine grid of Jacobian norms. It must never be below
 * any of them and, where it converges, within 5 % (it stops at 0.1 %).
 */
class InputBranchAndBoundTest {
  static final long BUDGET_NS = 20_000_000_000L;

  static UpperBound bnb(ExtractedNetwork x, long budgetNs) {
    MethodOutcome o = new InputBranchAndBound().compute(new MethodContext(x, EngineConfig.defaults(), WarmStart.EMPTY,
        LowerBounds.randomInputs(4, x.inputDim(), 1), List.of(), System.nanoTime() + budgetNs, true));
    assertNotNull(o.upper(), o.warnings().toString());
    assertTrue(o.upper().sound());
    return o.upper();
  }

  static List<double[]> biases(long seed, int... widths) {
    Random r = new Random(seed);
    List<double[]> b = new java.util.ArrayList<>();
    for (int i = 1; i < widths.length; i++) {
      double[] v = new double[widths[i]];
      for (int k = 0; k < v.length; k++) {
        v[k] = r.nextGaussian();
      }
      b.add(v);
    }
    return b;
  }

  /** max ‖J‖ over an n^d grid of [−a, a]^d (gradient-norm at each point: a real pair's ratio). */
  static double grid(ExtractedNetwork x, int n, double a) {
    int d = x.inputDim();
    int total = (int) Math.pow(n, d);
    double[][] pts = new double[total][d];
    for (int k = 0; k < total; k++) {
      int rest = k;
      for (int i = 0; i < d; i++) {
        pts[k][i] = -a + 2 * a * (rest % n + 0.5) / n;
        rest /= n;
      }
    }
    return LowerBounds.gradientNorm(x, pts, 30, 1, 0).bound().value();
  }

  @Test
  void twoInputReluNetsWithinFivePercentOfTheExactConstant() {
    for (long seed : new long[] {3, 4, 5}) {
      List<DenseMatrix> w = EclipseFastTest.weights(seed, false, 2, 16, 16, 1);
      ExtractedNetwork x = EclipseFastTest.net(w, EclipseFastTest.RELU);
      double exact = RegionEnumerationTest.regionMax(x);
      long t0 = System.nanoTime();
      UpperBound u = bnb(x, BUDGET_NS);
      String what = "seed " + seed + ": exact " + exact + ", input-bnb " + u.value() + " in " + (System.nanoTime() - t0) / 1e6 + " ms; " + u.note();
      System.out.println(what);
      assertTrue(u.value() >= exact, what);
      assertTrue(u.value() <= 1.05 * exact, what);
    }
  }

  @Test
  void biasedNetsAboveRegionMaxAndTheGrid() {
    Object[][] cases = {{new int[] {2, 8, 8, 1}, EclipseFastTest.RELU}, {new int[] {2, 12, 6, 3}, EclipseFastTest.RELU},
        {new int[] {3, 6, 6, 2}, EclipseFastTest.RELU}, {new int[] {2, 10, 10, 2}, EclipseFastTest.LEAKY}};
    long seed = 30;
    for (Object[] c : cases) {
      int[] shape = (int[]) c[0];
      List<DenseMatrix> w = EclipseFastTest.weights(seed, false, shape);
      ExtractedNetwork x = RegionEnumerationTest.net(w, biases(seed + 1, shape), (io.lipwatch.estimator.network.ActivationSpec) c[1]);
      seed += 2;
      double exact = RegionEnumerationTest.regionMax(x);
      double sampled = grid(x, shape[0] == 2 ? 120 : 24, 3);
      UpperBound u = bnb(x, BUDGET_NS);
      String what = java.util.Arrays.toString(shape) + ": region-max " + exact + ", grid " + sampled + ", input-bnb " + u.value() + "; " + u.note();
      System.out.println(what);
      assertTrue(u.value() >= exact && u.value() >= sampled, what);
      assertTrue(u.value() <= 1.05 * exact, what);
    }
  }

  @Test
  void nonNegativeNetAtItsAllActiveNorm() {
    List<DenseMatrix> w = EclipseFastTest.weights(21, true, 3, 8, 8, 2);
    double exact = EclipseFastTest.product(w);
    UpperBound u = bnb(RegionEnumerationTest.net(w, biases(2, 3, 8, 8, 2), EclipseFastTest.RELU), BUDGET_NS);
    System.out.println("3-8-8-2 non-negative: exact " + exact + ", input-bnb " + u.value() + "; " + u.note());
    assertTrue(u.value() >= exact && u.value() <= 1.05 * exact, u.value() + " vs " + exact);
  }

  /**
   * y = relu(x − 0.9) − relu(x − 0.95), written so that x reaches the second layer only through (x + B) − B with
   * B = 2⁵³ + 2: in floating point x + B rounds to B for every |x| &lt; 1, so a propagation without rounding allowances
   * computes z ∈ [−0.9 ± r] and fixes both neurons as inactive: a bound of 0 for a function of constant 1.
   */
  @Test
  void roundingInThePreActivationsIsAccountedFor() {
    double big = 0x1p53 + 2;
    List<DenseMatrix> w = List.of(new DenseMatrix(2, 1, new double[] {1, 0}), new DenseMatrix(2, 2, new double[] {1, -1, 1, -1}),
        new DenseMatrix(1, 2, new double[] {1, -1}));
    List<double[]> b = List.of(new double[] {big, big}, new double[] {-0.9, -0.95}, new double[] {0});
    ExtractedNetwork x = RegionEnumerationTest.net(w, b, EclipseFastTest.RELU);
    UpperBound u = bnb(x, 300_000_000L);
    assertTrue(u.value() >= 1, "the exact constant is 1: " + u.value() + "; " + u.note());
  }

  /** A wide 4-input net cannot converge in 0.5 s: it stops at its deadline with a bound above every lower bound. */
  @Test
  void wideNetStopsAtItsBudgetWithABound() {
    List<DenseMatrix> w = EclipseFastTest.weights(17, false, 4, 256, 256, 2);
    ExtractedNetwork x = RegionEnumerationTest.net(w, biases(18, 4, 256, 256, 2), EclipseFastTest.RELU);
    long t0 = System.nanoTime();
    UpperBound u = bnb(x, 500_000_000L);
    double seconds = (System.nanoTime() - t0) / 1e9;
    double lower = LowerBounds.search(x, LowerBounds.randomInputs(8, 4, 3), List.of(), new double[] {-3, 3}, 16, 3, 0).bound().value();
    System.out.println("4-256-256-2: input-bnb " + u.value() + " in " + seconds + " s, pair-search " + lower + "; " + u.note());
    assertTrue(seconds < 2.5, "took " + seconds + " s");
    assertTrue(Double.isFinite(u.value()) && u.value() >= lower, u.value() + " < " + lower);
  }

  /**
   * Two identical neurons: the mixed patterns (one on, one off) are never realised, but no box around their common
   * zero line can exclude them. The search stalls and stops early with a bound at or above the exact value.
   */
  @Test
  void duplicatedNeuronsStallButStaySound() {
    List<DenseMatrix> w = List.of(new DenseMatrix(2, 2, new double[] {1, 2, 1, 2}), new DenseMatrix(1, 2, new double[] {1, -3}));
    ExtractedNetwork x = RegionEnumerationTest.net(w, List.of(new double[] {0.5, 0.5}, new double[] {0}), EclipseFastTest.RELU);
    double exact = 2 * Math.sqrt(5); // y = −2·relu(x₁ + 2x₂ + 0.5): slope 2·‖(1, 2)‖ where active
    long t0 = System.nanoTime();
    UpperBound u = bnb(x, 20_000_000_000L);
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.println("duplicated neurons: exact " + exact + ", input-bnb " + u.value() + " in " + seconds + " s; " + u.note());
    assertTrue(u.value() >= exact, u.value() + " < " + exact);
    assertTrue(seconds < 10, "no stall detected: " + seconds + " s");
  }

  @Test
  void registeredAndRunByDefaultOnSmallInputsOnly() {
    List<DenseMatrix> w = EclipseFastTest.weights(9, false, 2, 6, 3);
    LipschitzEngine.Computed c = new LipschitzEngine(EngineConfig.defaults().withBudget(Duration.ofSeconds(5)))
        .compute(EclipseFastTest.net(w, EclipseFastTest.RELU), WarmStart.EMPTY, null);
    UpperBound u = c.upper().stream().filter(v -> v.method().equals(InputBranchAndBound.METHOD)).findFirst()
        .orElseThrow(() -> new AssertionError(c.warnings().toString()));
    assertTrue(u.sound() && u.value() >= c.bounds().bestLower(), u + " vs " + c.bounds().bestLower());
    assertTrue(new InputBranchAndBound().byDefault());
    assertTrue(BoundMethods.standard().names().contains(InputBranchAndBound.METHOD));
    assertTrue(new InputBranchAndBound().inapplicable(EclipseFastTest.net(EclipseFastTest.weights(1, false, 5, 4, 2), EclipseFastTest.RELU)) != null);
    assertTrue(new InputBranchAndBound().inapplicable(EclipseFastTest.net(w, EclipseFastTest.TANH)) != null);
  }
}
