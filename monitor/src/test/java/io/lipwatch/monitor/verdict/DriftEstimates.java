package io.lipwatch.monitor.verdict;

import io.lipwatch.estimator.estimate.Architecture;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.LipschitzBounds;
import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.estimate.UpperBound;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Estimates for the drift tests: a sound bound, a lower bound, clean accuracy, FGSM- and PGD-L2 ε=2 robust accuracy and
 * certified accuracy at L2 ε=0.1, estimated on a given day.
 */
public final class DriftEstimates {
  public static final Instant DAY0 = Instant.parse("2026-11-01T00:00:00Z");

  private DriftEstimates() {}

  public static Estimate estimate(String model, long version, int day, double bestUpper, double clean, double fgsm, double pgd,
      double certified) {
    Probes probes = new Probes("fashion-mnist", 256, clean, List.of(),
        List.of(new Probes.AttackResult("fgsm", "l2", 2.0, 1, 2.0, fgsm, 0.1),
            new Probes.AttackResult("pgd", "l2", 2.0, 100, 0.25, pgd, 1.0)),
        List.of(new Probes.CertifiedAccuracy("l2", 0.1, certified)), null, 1.0);
    return new Estimate(model, version, "a".repeat(64), DAY0.plus(day, ChronoUnit.DAYS).toString(),
        new Architecture("MultiLayerNetwork", 3, 784, List.of(256L, 256L), 10),
        LipschitzBounds.of(List.of(new UpperBound("autolip", bestUpper, true, 0.01)),
            List.of(new LowerBound("clip-pairs", bestUpper / 4, 0.1))), probes, List.of(), 0.1, null);
  }

  /**
   * The slow slide of issue 20: from bestUpper 10 and robust accuracies 0.30 / 0.25, each version's bound ×1.06 and
   * every robust accuracy −1.5 points against the version before; clean and certified accuracy steady. One a day.
   */
  public static List<Estimate> slide(String model, int versions) {
    List<Estimate> out = new ArrayList<>();
    for (int k = 0; k < versions; k++) {
      out.add(estimate(model, k + 1, k, 10.0 * Math.pow(1.06, k), 0.88, 0.30 - 0.015 * k, 0.25 - 0.015 * k, 0.40));
    }
    return out;
  }
}
