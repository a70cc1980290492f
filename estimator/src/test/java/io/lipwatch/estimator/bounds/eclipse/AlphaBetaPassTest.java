package io.lipwatch.estimator.bounds.eclipse;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.EclipseFastTest;
import io.lipwatch.estimator.linalg.DenseMatrix;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The one-multiplier-per-layer pass with the αβ term (the path of networks too large for per-neuron multipliers):
 * tighter than without it on leaky ReLU, at or above the exact constant where it is known, sound for any κ it is
 * handed (a κ too large for the λ it then picks is refused), and the rounding bound of its dense κWᵀW entries holds
 * in exact arithmetic.
 */
class AlphaBetaPassTest {
  static List<DenseMatrix> weights(long seed, boolean nonNegative, int... widths) {
    return EclipseFastTest.weights(seed, nonNegative, widths);
  }

  /** ‖W_l…W_1‖: the exact constant of a leaky ReLU net with non-negative weights. */
  static double product(List<DenseMatrix> w) {
    return EclipseFastTest.product(w);
  }

  static double[] fill(int n, double v) {
    double[] a = new double[n];
    Arrays.fill(a, v);
    return a;
  }

  /** The least pass without the αβ term over the θ grid. */
  static double withoutAlphaBeta(List<DenseMatrix> w, double[] lo, double[] hi) {
    double best = Double.POSITIVE_INFINITY;
    for (double theta : EclipseFastBound.THETAS) {
      EclipseFastBound.Result r = EclipseFastBound.bound(w, lo, hi, 0, 4 * EclipseFastBound.SHIFT,
          EclipseFastBound.Weighting.UNIFORM, theta, null, null, null);
      if (r.verified()) {
        best = Math.min(best, r.value());
      }
    }
    return best;
  }

  @Test
  void tighterWithTheTermAndNeverBelowTheExactConstant() {
    for (int[] shape : new int[][] {{6, 12, 8, 3}, {4, 10, 10, 10, 2}, {20, 40, 40, 5}}) {
      List<DenseMatrix> w = weights(shape.length + 40, true, shape);
      int h = shape.length - 2;
      double[] lo = fill(h, 0.5);
      double[] hi = fill(h, 1);
      double exact = product(w);
      EclipseFastBound.Result r = EclipseFastBound.layerwise(w, lo, hi, 0);
      double without = withoutAlphaBeta(w, lo, hi);
      String what = Arrays.toString(shape) + ": " + r.value() + " (without the αβ term " + without + "), exact " + exact + "; " + r.note();
      System.out.println("leaky α=½ one multiplier per layer " + what);
      assertTrue(r.verified(), what);
      assertTrue(r.note().contains("αβ"), what);
      assertTrue(r.value() >= exact, "below the exact constant: " + what);
      assertTrue(r.value() < 0.9 * without, "the αβ term gained under 10 %: " + what);
    }
  }

  /** Whatever κ the pass is handed, it either refuses or gives a sound bound; a κ far too large is refused. */
  @Test
  void anyKappaIsRefusedOrSound() {
    List<DenseMatrix> w = weights(7, true, 6, 12, 8, 3);
    double[] lo = fill(2, 0.5);
    double[] hi = fill(2, 1);
    double exact = product(w);
    double[][] dc = new double[2][];
    EclipseFastBound.Result plain = EclipseFastBound.bound(w, lo, hi, 0, 4 * EclipseFastBound.SHIFT,
        EclipseFastBound.Weighting.UNIFORM, 0.75, null, null, dc);
    assertTrue(plain.verified());
    double[] q = NeuronLmi.slopes(lo, hi)[1];
    int refused = 0;
    for (double scale : new double[] {0.25, 1, 1.5, 4, 100}) {
      double[] kappa = new double[w.size()];
      for (int b = 1; b < w.size(); b++) {
        double m = Math.nextUp(0.75);
        kappa[b] = scale * q[b] * dc[1][b] * dc[1][b] / (m * m * dc[0][b]);
      }
      EclipseFastBound.Result r = EclipseFastBound.bound(w, lo, hi, 0, 4 * EclipseFastBound.SHIFT,
          EclipseFastBound.Weighting.UNIFORM, 0.75, null, kappa, null);
      System.out.println("κ × " + scale + ": " + r);
      if (r.verified()) {
        assertTrue(r.value() >= exact, "κ × " + scale + " gave " + r.value() + " below the exact " + exact);
      } else {
        refused++;
        assertTrue(Double.isNaN(r.value()));
      }
      if (scale == 1) {
        assertTrue(r.verified(), r.note());
      }
    }
    assertTrue(refused >= 1, "a κ 100× too large must be refused");
  }

  /** Σ_j |fl(κ·fl(WᵀW))_ij − κ(WᵀW)_ij| ≤ the declared row bound, in exact arithmetic. */
  @Test
  void denseTermRoundingWithinItsRowBound() {
    List<DenseMatrix> w = weights(11, false, 9, 13);
    DenseMatrix wb = w.get(0);
    double kappa = 0.3719;
    EclipseFastBound.AlphaBeta ab = EclipseFastBound.AlphaBeta.of(wb, kappa, 0);
    int n = wb.cols();
    int inexact = 0;
    for (int i = 0; i < n; i++) {
      BigDecimal row = BigDecimal.ZERO;
      for (int j = 0; j < n; j++) {
        BigDecimal exact = BigDecimal.ZERO;
        for (int r = 0; r < wb.rows(); r++) {
          exact = exact.add(new BigDecimal(wb.get(r, i)).multiply(new BigDecimal(wb.get(r, j))));
        }
        exact = exact.multiply(new BigDecimal(kappa));
        BigDecimal err = new BigDecimal(ab.ext[i * n + j]).subtract(exact).abs();
        if (err.signum() != 0) {
          inexact++;
        }
        row = row.add(err);
      }
      assertTrue(row.compareTo(new BigDecimal(ab.absRows[i])) <= 0, "row " + i + ": error " + row + " above " + ab.absRows[i]);
    }
    assertTrue(inexact > n, "the entries round: " + inexact);
  }

  /** A leaky net too large for per-neuron multipliers still gains from the αβ term. */
  @Test
  void largeLeakyNetUsesTheTerm() {
    List<DenseMatrix> w = weights(13, false, 64, 128, 128, 10);
    assertFalse(EclipseFastBound.refinable(w));
    double[] lo = fill(2, 0.1);
    double[] hi = fill(2, 1);
    EclipseFastBound.Result r = EclipseFastBound.bound(w, lo, hi, 0);
    double without = withoutAlphaBeta(w, lo, hi);
    System.out.println("leaky α=0.1 64-128-128-10: " + r.value() + " (without the αβ term " + without + "); " + r.note());
    assertTrue(r.verified(), r.note());
    assertTrue(r.note().contains("αβ"), r.note());
    assertTrue(r.value() < without, r.value() + " vs " + without);
  }
}
