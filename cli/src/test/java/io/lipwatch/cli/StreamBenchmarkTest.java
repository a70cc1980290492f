package io.lipwatch.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.Architecture;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.LipschitzBounds;
import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.estimate.UpperBound;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code bench stream}'s breakdown: per bound method, probe phase and attack, the median over the estimates. */
class StreamBenchmarkTest {
  private static Estimate estimate(long version, double total, double autolip, double attacks, double pgd) {
    Map<String, Double> timings = new LinkedHashMap<>();
    timings.put("clean", 0.01);
    timings.put("attacks", attacks);
    timings.put(Probes.BOUND_WAIT, 0.2);
    Probes p = new Probes("fashion-mnist", 256, 0.8, List.of(),
        List.of(new Probes.AttackResult("pgd", "l2", 2.0, 100, 0.25, 0.3, pgd, List.of("ce", "dlr"), "apgd")),
        List.of(), null, attacks + 0.5).withTimings(timings);
    return new Estimate(StreamBenchmark.MODEL, version, "a".repeat(64), "2026-12-01T07:00:00Z",
        new Architecture("MultiLayerNetwork", 3, 784, List.of(256L, 256L), 10),
        LipschitzBounds.of(List.of(new UpperBound("autolip", 10.0, true, autolip)),
            List.of(new LowerBound("clip-pairs", 1.0, 0.27))), p, List.of(), total, null);
  }

  /** Three timed estimates whose figures and seconds differ, so medians and ranges are told apart. */
  private static List<Estimate> threeEstimates() {
    return List.of(estimate(2, 4.0, 0.01, 0.9, 0.6), estimate(3, 5.0, 0.03, 1.1, 0.8), estimate(4, 4.5, 0.02, 1.0, 0.7));
  }

  @Test
  void breakdownTakesTheMedianPerPart() {
    String out = StreamBenchmark.breakdown(threeEstimates());
    System.out.print(out);
    assertTrue(out.contains("median over 3 timed estimates"), out);
    assertTrue(out.contains("| estimate (engine ‖ probes) | 4.500 s | 4.000–5.000 s |"), out);
    assertTrue(out.contains("| bound autolip (sound) | 0.020 s | 0.010–0.030 s |"), out);
    assertTrue(out.contains("| bound clip-pairs (lower) | 0.270 s | 0.270–0.270 s |"), out);
    assertTrue(out.contains("| probes | 1.500 s | 1.400–1.600 s |"), out);
    assertTrue(out.contains("| probes: attacks | 1.000 s | 0.900–1.100 s |"), out);
    assertTrue(out.contains("| probes: bound-wait | 0.200 s |"), out);
    assertTrue(out.contains("| attacks: pgd/ce+dlr l2 ε=2 100 steps | 0.700 s | 0.600–0.800 s |"), out);
  }

  @Test
  void figuresTakeTheMedianPerFigure() {
    String out = StreamBenchmark.figures(threeEstimates());
    System.out.print(out);
    assertTrue(out.contains("| bound autolip (sound) | 10.000 | 10.000–10.000 |"), out);
    assertTrue(out.contains("| bound clip-pairs (lower) | 1.0000 | 1.0000–1.0000 |"), out);
    assertTrue(out.contains("| clean accuracy | 0.80000 | 0.80000–0.80000 |"), out);
    assertTrue(out.contains("| robust accuracy pgd/ce+dlr l2 ε=2 | 0.30000 | 0.30000–0.30000 |"), out);
    assertTrue(StreamBenchmark.figures(List.of()).isEmpty());
  }

  @Test
  void noEstimatesSaysSo() {
    assertTrue(StreamBenchmark.breakdown(List.of()).contains("no breakdown"));
  }
}
