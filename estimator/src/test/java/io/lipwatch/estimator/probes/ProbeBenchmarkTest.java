package io.lipwatch.estimator.probes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** The benchmark runs and prints its table (timings are not asserted: the machine is shared). */
class ProbeBenchmarkTest {
  @Test
  void fullBenchmarkPrintsATable() {
    assumeTrue(Files.isDirectory(ProbeBenchmark.DEFAULT_DATA), "dataset-fashion-mnist not installed");
    ProbeBenchmark.Result r = ProbeBenchmark.run(42L);
    System.out.print(r);
    assertEquals(1000, r.samples());
    assertEquals(12, r.probes().attacks().size());
    assertTrue(r.probes().cleanAccuracy() > 0.6, "one epoch of training should reach well above chance");
    assertTrue(r.toString().contains("pgd l2 ε=2.0 100 steps"));
  }
}
