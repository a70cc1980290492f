package io.lipwatch.monitor.metrics;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.Architecture;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.LipschitzBounds;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.monitor.stream.MonitorService;
import io.lipwatch.monitor.verdict.VersionSummary;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code lipwatch_certified_accuracy_ratio} carries the certificate method: global entries (and entries of estimates
 * written before methods existed) as {@code method="global"}, pairwise and local beside them; verdicts keep comparing
 * the global figure.
 */
class CertifiedMethodMetricsTest {
  static Estimate estimate(List<Probes.CertifiedAccuracy> certified) {
    Probes probes = new Probes("fashion-mnist", 100, 0.9, List.of(), List.of(), certified, null, 1.0);
    return new Estimate("m", 1, "a".repeat(64), "2026-12-01T04:00:00Z", new Architecture("MultiLayerNetwork", 3, 10,
        List.of(4L), 2), LipschitzBounds.of(List.of(new UpperBound("autolip", 3.0, true, 0.01)), List.of()), probes,
        List.of(), 0.1, null);
  }

  @Test
  void everyMethodIsASeriesAndAnEntryWithoutMethodIsGlobal() {
    PrometheusMeterRegistry registry = MonitorService.newRegistry();
    RobustnessMetrics metrics = new RobustnessMetrics();
    metrics.bindTo(registry);
    metrics.record(estimate(List.of(new Probes.CertifiedAccuracy("l2", 0.1, 0.41, null),
        new Probes.CertifiedAccuracy("l2", 0.1, 0.55, "pairwise"), new Probes.CertifiedAccuracy("l2", 0.1, 0.72, "local"))));
    String text = registry.scrape();
    for (String series : List.of("{eps=\"0.1\",method=\"global\",model=\"m\",norm=\"l2\"} 0.41",
        "{eps=\"0.1\",method=\"pairwise\",model=\"m\",norm=\"l2\"} 0.55",
        "{eps=\"0.1\",method=\"local\",model=\"m\",norm=\"l2\"} 0.72")) {
      assertTrue(text.contains("lipwatch_certified_accuracy_ratio" + series), series + " missing:\n" + text);
    }
    // the next estimate has no local entry: its series goes, the others stay
    metrics.record(estimate(List.of(new Probes.CertifiedAccuracy("l2", 0.1, 0.40),
        new Probes.CertifiedAccuracy("l2", 0.1, 0.50, "pairwise"))));
    String next = registry.scrape();
    assertFalse(next.contains("method=\"local\""), next);
    assertTrue(next.contains("lipwatch_certified_accuracy_ratio{eps=\"0.1\",method=\"global\",model=\"m\",norm=\"l2\"} 0.4"), next);
  }

  @Test
  void verdictsCompareTheGlobalCertificate() {
    VersionSummary s = VersionSummary.of(estimate(List.of(new Probes.CertifiedAccuracy("l2", 0.1, 0.41),
        new Probes.CertifiedAccuracy("l2", 0.1, 0.72, "local"))));
    assertTrue(s.certifiedAccuracy().get(VersionSummary.certifiedKey("l2", 0.1)) == 0.41, s.certifiedAccuracy().toString());
  }
}
