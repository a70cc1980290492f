package io.lipwatch.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.Architecture;
import io.lipwatch.estimator.estimate.BaselinePin;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.LipschitzBounds;
import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.estimator.stream.DlqRecord;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.monitor.metrics.RobustnessMetrics;
import io.lipwatch.monitor.stream.ModelState;
import io.lipwatch.monitor.stream.MonitorService;
import io.lipwatch.monitor.stream.MonitorTopology;
import io.lipwatch.monitor.verdict.Policy;
import io.lipwatch.monitor.verdict.VerdictPolicy;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MonitorTopologyTest {
  @TempDir
  Path tmp;
  TopologyTestDriver driver;
  TestInputTopic<String, Estimate> estimates;
  TestInputTopic<String, BaselinePin> pins;
  TestInputTopic<String, DlqRecord> dlq;
  TestOutputTopic<String, Verdict> verdicts;
  PrometheusMeterRegistry registry;

  static Estimate estimate(String model, long version, double autolip, Double powerEstimate, double lower, double clean, double pgd,
      double certified) {
    List<UpperBound> upper = powerEstimate == null ? List.of(new UpperBound("autolip", autolip, true, 0.01))
        : List.of(new UpperBound("autolip", autolip, true, 0.01), new UpperBound("autolip-power", powerEstimate, false, 0.01));
    Probes probes = new Probes("fashion-mnist", 100, clean, List.of(),
        List.of(new Probes.AttackResult("pgd", "l2", 2.0, 100, 0.25, pgd, 1.0)),
        List.of(new Probes.CertifiedAccuracy("l2", 0.1, certified)), null, 1.0);
    return new Estimate(model, version, "a".repeat(64), "2026-11-22T05:00:00Z", new Architecture("MultiLayerNetwork", 3, 10, List.of(4L), 2),
        LipschitzBounds.of(upper, List.of(new LowerBound("clip-pairs", lower, 0.1))), probes, List.of(), 0.1, null);
  }

  @BeforeEach
  void setUp() {
    registry = MonitorService.newRegistry();
    RobustnessMetrics metrics = new RobustnessMetrics();
    metrics.bindTo(registry);
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "test-monitor");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    p.put(StreamsConfig.STATE_DIR_CONFIG, tmp.toString());
    driver = new TopologyTestDriver(MonitorTopology.build(new VerdictPolicy(Policy.defaults()), metrics), p);
    estimates = driver.createInputTopic(Topics.ESTIMATES.name(), Topics.ESTIMATES.keySerde().serializer(), Topics.ESTIMATES.valueSerde().serializer());
    pins = driver.createInputTopic(Topics.BASELINES.name(), Topics.BASELINES.keySerde().serializer(), Topics.BASELINES.valueSerde().serializer());
    dlq = driver.createInputTopic(Topics.SNAPSHOTS_DLQ.name(), Topics.SNAPSHOTS_DLQ.keySerde().serializer(),
        Topics.SNAPSHOTS_DLQ.valueSerde().serializer());
    verdicts = driver.createOutputTopic(Topics.VERDICTS.name(), Topics.VERDICTS.keySerde().deserializer(), Topics.VERDICTS.valueSerde().deserializer());
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  @Test
  void estimatesBecomeGaugesAndDlqRecordsRejections() {
    estimates.pipeInput("m", estimate("m", 1, 10.0, 9.0, 5.0, 0.9, 0.13, 0.41));
    estimates.pipeInput("m", estimate("m", 2, 10.2, null, 5.0, 0.9, 0.13, 0.41));
    dlq.pipeInput("m", new DlqRecord("not-a-model-zip", "x", Map.of(), "m", "now", null, null, null));
    String text = registry.scrape();
    assertTrue(text.contains("lipwatch_lipschitz_best_upper_bound{model=\"m\"} 10.2"), text);
    assertTrue(text.contains("lipwatch_snapshot_version{model=\"m\"} 2.0"), text);
    assertTrue(text.contains("lipwatch_robust_accuracy_ratio{attack=\"pgd\",eps=\"2.0\",model=\"m\",norm=\"l2\"} 0.13"), text);
    assertTrue(text.contains("lipwatch_certified_accuracy_ratio{eps=\"0.1\",model=\"m\",norm=\"l2\"} 0.41"), text);
    assertTrue(text.contains("lipwatch_snapshots_total{model=\"m\",outcome=\"estimated\"} 2.0"), text);
    assertTrue(text.contains("lipwatch_snapshots_total{model=\"m\",outcome=\"rejected\"} 1.0"), text);
    assertTrue(text.contains("lipwatch_verdict{model=\"m\"} 0.0"), text);
    // the power estimate of version 1 is gone in version 2: its series is removed, neither stale nor NaN
    assertFalse(text.contains("lipwatch_lipschitz_upper_bound{method=\"autolip-power\",model=\"m\""), text);
    assertFalse(text.lines().anyMatch(l -> l.startsWith("lipwatch_") && l.endsWith(" NaN")), text);
    KeyValueStore<String, ModelState> h = driver.getKeyValueStore(MonitorTopology.HISTORY_STORE);
    assertEquals(2, h.get("m").versions().size());
  }

  @Test
  void aLessRobustVersionFailsAgainstTheLastPassAndDoesNotBecomeTheBaseline() {
    estimates.pipeInput("m", estimate("m", 1, 10.0, null, 5.0, 0.90, 0.30, 0.40));
    estimates.pipeInput("m", estimate("m", 2, 10.5, null, 5.0, 0.90, 0.29, 0.39)); // within thresholds
    estimates.pipeInput("m", estimate("m", 3, 14.0, null, 5.0, 0.89, 0.10, 0.20)); // bound +33%, robust −19 points
    estimates.pipeInput("m", estimate("m", 4, 14.1, null, 5.0, 0.89, 0.10, 0.20)); // still bad vs v2
    List<Verdict> v = verdicts.readValuesToList();
    assertEquals(List.of("PASS", "PASS", "FAIL", "FAIL"), v.stream().map(Verdict::verdict).toList());
    assertNull(v.get(0).baselineVersion());
    assertEquals(1L, v.get(1).baselineVersion());
    assertEquals(2L, v.get(2).baselineVersion());
    assertEquals(2L, v.get(3).baselineVersion(), "a failed version never becomes the baseline");
    var failed = v.get(2).checks().stream().filter(c -> c.status().equals("FAIL")).map(Verdict.Check::name).toList();
    assertTrue(failed.contains("best-upper-growth") && failed.contains("robust-accuracy:pgd/l2/2.0")
        && failed.contains("certified-accuracy:l2/0.1"), failed.toString());
    assertTrue(registry.scrape().contains("lipwatch_verdict{model=\"m\"} 2.0"));
  }

  @Test
  void aPinnedBaselineIsUsedAndUnpinningFallsBackToLastPass() {
    estimates.pipeInput("m", estimate("m", 1, 10.0, null, 5.0, 0.90, 0.30, 0.40));
    estimates.pipeInput("m", estimate("m", 2, 10.8, null, 5.0, 0.90, 0.30, 0.40)); // +8% vs v1: PASS
    pins.pipeInput("m", new BaselinePin("m", 1, "now", "release 1"));
    estimates.pipeInput("m", estimate("m", 3, 11.6, null, 5.0, 0.90, 0.30, 0.40)); // +16% vs pinned v1 → WARN; +7% vs v2
    pins.pipeInput("m", (BaselinePin) null);
    estimates.pipeInput("m", estimate("m", 4, 11.6, null, 5.0, 0.90, 0.30, 0.40)); // +7% vs last pass v2 → PASS
    List<Verdict> v = verdicts.readValuesToList();
    assertEquals("WARN", v.get(2).verdict());
    assertEquals("pinned", v.get(2).baselineKind());
    assertEquals(1L, v.get(2).baselineVersion());
    assertEquals("PASS", v.get(3).verdict());
    assertEquals("last-pass", v.get(3).baselineKind());
  }

  @Test
  void policyFileOverridesDefaultsAndRejectsUnknownFields() throws Exception {
    Path f = Files.writeString(tmp.resolve("policy.json"), "{\"upperGrowthFail\": 1.5, \"gapGrowthWarn\": null}");
    Policy p = Policy.load(f);
    assertEquals(1.5, p.upperGrowthFail());
    assertNull(p.gapGrowthWarn());
    assertEquals(Policy.defaults().robustDropFail(), p.robustDropFail());
    Path bad = Files.writeString(tmp.resolve("bad.json"), "{\"upperGrowthFial\": 1.5}");
    var e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> Policy.load(bad));
    assertTrue(e.getMessage().contains("upperGrowthFial"), e.getMessage());
  }

  /** An estimate marked inconsistent (bestLower above bestUpper) is a FAIL, never a baseline, and exports no figures. */
  @Test
  void inconsistentEstimateIsAFailAndExportsNoFigures() {
    estimates.pipeInput("m", estimate("m", 1, 10.0, null, 5.0, 0.9, 0.15, 0.4));
    estimates.pipeInput("m", estimate("m", 2, 12.0, null, 50.0, 0.9, 0.15, 0.4).markedInconsistent());
    estimates.pipeInput("m", estimate("m", 3, 10.1, null, 5.0, 0.9, 0.15, 0.4));
    List<Verdict> vs = verdicts.readValuesToList();
    assertEquals(List.of("PASS", "FAIL", "PASS"), vs.stream().map(Verdict::verdict).toList());
    assertEquals("inconsistent", vs.get(1).checks().get(0).name());
    assertEquals(1L, vs.get(2).baselineVersion(), "v3 is judged against v1, not the inconsistent v2");
    String text = registry.scrape();
    assertTrue(text.contains("lipwatch_lipschitz_best_lower_bound{model=\"m\"} 5.0"), text);
  }
}
