package io.lipwatch.estimator.bounds;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The benchmark runs and prints its table (figures are not asserted: shared machines). */
class BoundsBenchmarkTest {
  @Test
  void runsAndPrints() {
    String table = BoundsBenchmark.run(42);
    System.out.println(table);
    assertTrue(table.contains("autolip") && table.contains("GFLOP/s"), table);
  }
}
