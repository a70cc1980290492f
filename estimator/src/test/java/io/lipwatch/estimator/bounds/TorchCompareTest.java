package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.bench.BoundsBenchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bench.CompareTable;
import io.lipwatch.estimator.bench.TorchReference;
import io.lipwatch.estimator.testing.TorchRequired;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench bounds --compare} computes the norms the PyTorch reference computes on the same operators: power
 * iteration per layer (dense and convolution, so the exported kernel layout, stride and padding are right) and
 * AutoLip's exact-SVD bound.
 */
class TorchCompareTest {
  @TempDir Path dir;

  @Test
  void normsMatchTheReference() throws Exception {
    CompareTable table;
    try (TorchReference ref = TorchRequired.start(dir)) {
      table = BoundsBenchmark.compare(BoundsBenchmark.mlp(5, 0), BoundsBenchmark.cnn(5, 0), 5, 1, ref, dir);
    }
    System.out.print(table);
    List<CompareTable.Row> rows = table.rows();
    assertEquals(3, rows.size(), table.toString());
    for (CompareTable.Row r : List.of(rows.get(0), rows.get(2))) {
      double[] lw = r.lipwatchValues();
      double[] pt = r.torchValues();
      assertEquals(lw.length, pt.length, table.toString());
      for (int i = 0; i < lw.length; i++) {
        // 100 iterations from different random starts: both converge from below to σ_max
        assertEquals(pt[i], lw[i], 2e-3 * pt[i], r.work() + " layer " + i + "\n" + table);
        assertTrue(lw[i] > 0.5, table.toString());
      }
    }
    // exact SVD on both sides (lipwatch's sound value may be rounded up by a hair, never down)
    double lw = rows.get(1).lipwatchValues()[0];
    double pt = rows.get(1).torchValues()[0];
    assertTrue(lw >= pt * (1 - 1e-9) && lw <= pt * (1 + 1e-6), lw + " vs " + pt + "\n" + table);
  }
}
