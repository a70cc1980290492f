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
import io.lipwatch.monitor.stream.ModelState;
import io.lipwatch.monitor.stream.MonitorTopology;
import io.lipwatch.monitor.testing.MonitorDriver;
import io.lipwatch.monitor.verdict.Policy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MonitorTopologyTest {
  @TempDir
  Path tmp;
  MonitorDriver monitor;

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
    monitor = new MonitorDriver(Policy.defaults(), "test-monitor", tmp);
  }

  @AfterEach
  void tearDown() {
    monitor.close();
  }

  @Test
  void estimatesBecomeGaugesAndDlqRecordsRejections() {
    monitor.estimates.pipeInput("m", estimate("m", 1, 10.0, 9.0, 5.0, 0.9, 0.13, 0.41));
    monitor.estimates.pipeInput("m", estimate("m", 2, 10.2, null, 5.0, 0.9, 0.13, 0.41));
    monitor.dlq.pipeInput("m", new DlqRecord("not-a-model-zip", "x", Map.of(), "m", "now", null, null, null));
    String text = monitor.registry.scrape();
    assertTrue(text.contains("lipwatch_lipschitz_best_upper_bound{model=\"m\"} 10.2"), text);
    assertTrue(text.contains("lipwatch_snapshot_version{model=\"m\"} 2.0"), text);
    assertTrue(text.contains("lipwatch_robust_accuracy_ratio{attack=\"pgd\",eps=\"2.0\",model=\"m\",norm=\"l2\"} 0.13"), text);
    assertTrue(text.contains("lipwatch_certified_accuracy_ratio{eps=\"0.1\",method=\"global\",model=\"m\",norm=\"l2\"} 0.41"), text);
    assertTrue(text.contains("lipwatch_snapshots_total{model=\"m\",outcome=\"estimated\"} 2.0"), text);
    assertTrue(text.contains("lipwatch_snapshots_total{model=\"m\",outcome=\"rejected\"} 1.0"), text);
    assertTrue(text.contains("lipwatch_verdict{model=\"m\"} 0.0"), text);
    // the power estimate of version 1 is gone in version 2: its series is removed, neither stale nor NaN
    assertFalse(text.contains("lipwatch_lipschitz_upper_bound{method=\"autolip-power\",model=\"m\""), text);
    assertFalse(text.lines().anyMatch(l -> l.startsWith("lipwatch_") && l.endsWith(" NaN")), text);
    KeyValueStore<String, ModelState> h = monitor.driver.getKeyValueStore(MonitorTopology.HISTORY_STORE);
    assertEquals(2, h.get("m").versions().size());
  }

  @Test
  void aLessRobustVersionFailsAgainstTheLastPassAndDoesNotBecomeTheBaseline() {
    monitor.estimates.pipeInput("m", estimate("m", 1, 10.0, null, 5.0, 0.90, 0.30, 0.40));
    monitor.estimates.pipeInput("m", estimate("m", 2, 10.5, null, 5.0, 0.90, 0.29, 0.39)); // within thresholds
    monitor.estimates.pipeInput("m", estimate("m", 3, 14.0, null, 5.0, 0.89, 0.10, 0.20)); // bound +33%, robust −19 points
    monitor.estimates.pipeInput("m", estimate("m", 4, 14.1, null, 5.0, 0.89, 0.10, 0.20)); // still bad vs v2
    List<Verdict> v = monitor.verdicts.readValuesToList();
    assertEquals(List.of("PASS", "PASS", "FAIL", "FAIL"), v.stream().map(x -> x.verdict().name()).toList());
    assertNull(v.get(0).baselineVersion());
    assertEquals(1L, v.get(1).baselineVersion());
    assertEquals(2L, v.get(2).baselineVersion());
    assertEquals(2L, v.get(3).baselineVersion(), "a failed version never becomes the baseline");
    var failed = v.get(2).checks().stream().filter(c -> c.status() == Verdict.FAIL).map(Verdict.Check::name).toList();
    assertTrue(failed.contains("best-upper-growth") && failed.contains("robust-accuracy:pgd/l2/2.0")
        && failed.contains("certified-accuracy:l2/0.1"), failed.toString());
    assertTrue(monitor.registry.scrape().contains("lipwatch_verdict{model=\"m\"} 2.0"));
  }

  @Test
  void aPinnedBaselineIsUsedAndUnpinningFallsBackToLastPass() {
    monitor.estimates.pipeInput("m", estimate("m", 1, 10.0, null, 5.0, 0.90, 0.30, 0.40));
    monitor.estimates.pipeInput("m", estimate("m", 2, 10.8, null, 5.0, 0.90, 0.30, 0.40)); // +8% vs v1: PASS
    monitor.pins.pipeInput("m", new BaselinePin("m", 1, "now", "release 1"));
    monitor.estimates.pipeInput("m", estimate("m", 3, 11.6, null, 5.0, 0.90, 0.30, 0.40)); // +16% vs pinned v1 → WARN; +7% vs v2
    monitor.pins.pipeInput("m", (BaselinePin) null);
    monitor.estimates.pipeInput("m", estimate("m", 4, 11.6, null, 5.0, 0.90, 0.30, 0.40)); // +7% vs last pass v2 → PASS
    List<Verdict> v = monitor.verdicts.readValuesToList();
    assertEquals(Verdict.WARN, v.get(2).verdict());
    assertEquals("pinned", v.get(2).baselineKind());
    assertEquals(1L, v.get(2).baselineVersion());
    assertEquals(Verdict.PASS, v.get(3).verdict());
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
    monitor.estimates.pipeInput("m", estimate("m", 1, 10.0, null, 5.0, 0.9, 0.15, 0.4));
    monitor.estimates.pipeInput("m", estimate("m", 2, 12.0, null, 50.0, 0.9, 0.15, 0.4).markedInconsistent());
    monitor.estimates.pipeInput("m", estimate("m", 3, 10.1, null, 5.0, 0.9, 0.15, 0.4));
    List<Verdict> vs = monitor.verdicts.readValuesToList();
    assertEquals(List.of("PASS", "FAIL", "PASS"), vs.stream().map(x -> x.verdict().name()).toList());
    assertEquals("inconsistent", vs.get(1).checks().get(0).name());
    assertEquals(1L, vs.get(2).baselineVersion(), "v3 is judged against v1, not the inconsistent v2");
    String text = monitor.registry.scrape();
    assertTrue(text.contains("lipwatch_lipschitz_best_lower_bound{model=\"m\"} 5.0"), text);
  }
}
