package io.lipwatch.estimator.bounds.eclipse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.EclipseFastTest;
import io.lipwatch.estimator.linalg.DenseMatrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The margin networks of the class pairs share their hidden layers: {@link EclipseFastBound#boundRows} walks them once
 * and gives each row the result of its own {@link EclipseFastBound#bound}, to the bit and with the same note, on every
 * path: the θ grid and per-neuron multipliers of small networks, the αβ rounds of leaky ReLU, one θ on large
 * networks; and a last row that fails on its own (a zero row: f is constant) fails alone.
 */
class BoundRowsTest {

  @Test
  void sameResultsAsOneBoundPerRow() {
    assertSameAsPerRow(new int[] {8, 16, 16}, 6, 0.0, 11);   // refinable: per-neuron pass too; θ grid
    assertSameAsPerRow(new int[] {8, 16, 16}, 6, 0.1, 12);   // leaky ReLU: αβ rounds
    assertSameAsPerRow(new int[] {30, 40, 40}, 10, 0.0, 13); // θ grid, not refinable
    assertSameAsPerRow(new int[] {784, 64, 64}, 5, 0.0, 14); // one θ (a pass above the grid's cost)
  }

  @Test
  void aZeroLastRowEndsAloneAndTheOthersStillGetTheirBounds() {
    List<DenseMatrix> hidden = EclipseFastTest.weights(21, false, 10, 20, 20);
    DenseMatrix last = lastRows(22, 3, 20);
    Arrays.fill(last.data(), 20, 40, 0.0);
    EclipseFastBound.Result[] rows = EclipseFastBound.boundRows(hidden, last, new double[] {0, 0}, new double[] {1, 1}, 0);
    assertTrue(rows[0].verified() && rows[2].verified(), Arrays.toString(rows));
    assertEquals(0.0, rows[1].value(), 0.0, rows[1].note());
  }

  private static void assertSameAsPerRow(int[] widths, int rows, double alpha, long seed) {
    List<DenseMatrix> hidden = EclipseFastTest.weights(seed, false, widths);
    DenseMatrix last = lastRows(seed + 100, rows, widths[widths.length - 1]);
    int h = hidden.size();
    double[] lo = new double[h];
    double[] hi = new double[h];
    Arrays.fill(lo, alpha);
    Arrays.fill(hi, 1.0);
    EclipseFastBound.Result[] shared = EclipseFastBound.boundRows(hidden, last, lo, hi, 0);
    assertEquals(rows, shared.length);
    for (int r = 0; r < rows; r++) {
      List<DenseMatrix> w = new ArrayList<>(hidden);
      int n = last.cols();
      w.add(new DenseMatrix(1, n, Arrays.copyOfRange(last.data(), r * n, (r + 1) * n)));
      EclipseFastBound.Result own = EclipseFastBound.bound(w, lo, hi, 0);
      String what = Arrays.toString(widths) + " α=" + alpha + " row " + r;
      assertTrue(own.verified(), what + ": " + own.note());
      assertEquals(own, shared[r], what);
    }
  }

  private static DenseMatrix lastRows(long seed, int rows, int cols) {
    SplittableRandom rnd = new SplittableRandom(seed);
    double[] d = new double[rows * cols];
    for (int i = 0; i < d.length; i++) {
      d[i] = rnd.nextGaussian() / Math.sqrt(cols);
    }
    return new DenseMatrix(rows, cols, d);
  }
}
