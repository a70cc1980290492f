package io.lipwatch.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.Architecture;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.LipschitzBounds;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.stream.DlqRecord;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.monitor.metrics.RobustnessMetrics;
import io.lipwatch.monitor.stream.ModelHistory;
import io.lipwatch.monitor.stream.MonitorService;
import io.lipwatch.monitor.stream.MonitorTopology;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MonitorTopologyTest {
  static Estimate estimate(String model, long version, double autolip, Double powerEstimate) {
    List<UpperBound> upper = powerEstimate == null ? List.of(new UpperBound("autolip", autolip, true, 0.01))
        : List.of(new UpperBound("autolip", autolip, true, 0.01), new UpperBound("autolip-power", powerEstimate, false, 0.01));
    Probes probes = new Probes("fashion-mnist", 100, 0.9, List.of(), List.of(new Probes.AttackResult("pgd", "l2", 2.0, 100, 0.25, 0.13, 1.0)),
        List.of(new Probes.CertifiedAccuracy("l2", 0.1, 0.41)), null, 1.0);
    return new Estimate(model, version, "a".repeat(64), "2026-11-22T05:00:00Z", new Architecture("MultiLayerNetwork", 3, 10, List.of(4L), 2),
        LipschitzBounds.of(upper, List.of()), probes, List.of(), 0.1, null);
  }

  @Test
  void estimatesBecomeGaugesAndDlqRecordsRejections(@TempDir Path tmp) {
    var registry = MonitorService.newRegistry();
    RobustnessMetrics metrics = new RobustnessMetrics();
    metrics.bindTo(registry);
    ModelHistory history = new ModelHistory(10);
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "test-monitor");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    p.put(StreamsConfig.STATE_DIR_CONFIG, tmp.toString());
    try (TopologyTestDriver d = new TopologyTestDriver(MonitorTopology.build(metrics, history), p)) {
      var in = d.createInputTopic(Topics.ESTIMATES.name(), Topics.ESTIMATES.keySerde().serializer(), Topics.ESTIMATES.valueSerde().serializer());
      var dlq = d.createInputTopic(Topics.SNAPSHOTS_DLQ.name(), Topics.SNAPSHOTS_DLQ.keySerde().serializer(),
          Topics.SNAPSHOTS_DLQ.valueSerde().serializer());
      in.pipeInput("m", estimate("m", 1, 10.0, 9.0));
      in.pipeInput("m", estimate("m", 2, 12.0, null));
      dlq.pipeInput("m", new DlqRecord("not-a-model-zip", "x", Map.of(), "m", "now", null, null, null));
      String text = registry.scrape();
      assertTrue(text.contains("lipwatch_lipschitz_best_upper_bound{model=\"m\"} 12.0"), text);
      assertTrue(text.contains("lipwatch_snapshot_version{model=\"m\"} 2.0"), text);
      assertTrue(text.contains("lipwatch_robust_accuracy_ratio{attack=\"pgd\",eps=\"2.0\",model=\"m\",norm=\"l2\"} 0.13"), text);
      assertTrue(text.contains("lipwatch_certified_accuracy_ratio{eps=\"0.1\",model=\"m\",norm=\"l2\"} 0.41"), text);
      assertTrue(text.contains("lipwatch_snapshots_total{model=\"m\",outcome=\"estimated\"} 2.0"), text);
      assertTrue(text.contains("lipwatch_snapshots_total{model=\"m\",outcome=\"rejected\"} 1.0"), text);
      // the power estimate of version 1 is gone in version 2: its series reads NaN, not a stale value
      assertTrue(text.contains("lipwatch_lipschitz_upper_bound{method=\"autolip-power\",model=\"m\",sound=\"false\"} NaN"), text);
      assertEquals(2, history.versions("m").size());
    }
  }
}
