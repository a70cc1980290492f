package io.lipwatch.monitor;

import static io.lipwatch.monitor.verdict.DriftEstimates.estimate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.BaselinePin;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.estimator.metrics.MeterNames;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.monitor.stream.ModelState;
import io.lipwatch.monitor.stream.MonitorTopology;
import io.lipwatch.monitor.testing.MonitorDriver;
import io.lipwatch.monitor.verdict.DriftEstimates;
import io.lipwatch.monitor.verdict.Policy;
import io.lipwatch.monitor.verdict.TrendPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow drift through the monitor topology: verdicts against the reference (best PASS of the window, or the pinned
 * version), its window by versions and by days, the trend check, {@code lipwatch_reference_ratio} and the verdict JSON.
 */
class SlowDriftTest {
  @TempDir
  Path tmp;
  MonitorDriver monitor;

  void start(Policy policy) {
    monitor = new MonitorDriver(policy, "test-monitor", tmp);
  }

  @AfterEach
  void tearDown() {
    if (monitor != null) {
      monitor.close();
    }
  }

  private List<Verdict> run(List<Estimate> list) {
    list.forEach(e -> monitor.estimates.pipeInput(e.model(), e));
    return monitor.verdicts.readValuesToList();
  }

  private double referenceRatio(String model, String metric) {
    var g = monitor.registry.find(MeterNames.REFERENCE_RATIO).tags(MeterNames.TAG_MODEL, model, "metric", metric).gauge();
    return g == null ? Double.NaN : g.value();
  }

  private static Verdict.Check check(Verdict v, String name) {
    return v.checks().stream().filter(c -> c.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no check " + name + " in " + v.checks()));
  }

  @Test
  void theSlowSlideWarnsByV5AndFailsByV8AgainstTheBestPassReference() {
    start(Policy.defaults());
    List<Verdict> v = run(DriftEstimates.slide("m", 10));
    // each step is within the step thresholds (×1.06, −1.5 points): only the reference sees the slide
    assertEquals(List.of("PASS", "PASS", "PASS", "PASS", "WARN", "WARN", "FAIL", "FAIL", "FAIL", "FAIL"),
        v.stream().map(x -> x.verdict().name()).toList());
    for (Verdict x : v.subList(1, 10)) {
      assertEquals(1L, x.referenceVersion(), "v" + x.version() + ": v1 stays the reference (smallest bound of the PASS versions)");
      assertEquals("best-pass", x.referenceKind());
    }
    Verdict v5 = v.get(4);
    assertEquals(Verdict.WARN, check(v5, "reference-best-upper-growth").status(), v5.checks().toString());
    assertEquals(Verdict.WARN, check(v5, "reference-robust-accuracy:fgsm/l2/2.0").status());
    assertEquals(Verdict.PASS, check(v5, "best-upper-growth").status(), "v5 is only ×1.06 of the last PASS v4");
    assertEquals(4L, v5.baselineVersion());
    Verdict v10 = v.get(9);
    Verdict.Check up = check(v10, "reference-best-upper-growth");
    assertEquals(Verdict.FAIL, up.status());
    assertEquals(Math.pow(1.06, 9), up.value(), 1e-9);
    assertEquals(1L, up.baselineVersion());
    assertEquals("reference", up.baselineKind());
    assertEquals("last-pass", check(v10, "best-upper-growth").baselineKind());
    assertEquals(4L, v10.baselineVersion(), "a WARN never becomes the step baseline");
    assertTrue(up.message().contains("the best-pass reference v1"), up.message());
    assertEquals(Math.pow(1.06, 9), referenceRatio("m", "best_upper"), 1e-9);
    assertEquals((0.25 - 0.015 * 9) / 0.25, referenceRatio("m", "robust_accuracy"), 1e-9, "the worse attack, PGD");
    assertEquals(1.0, referenceRatio("m", "clean_accuracy"), 1e-12);

    String json = new String(Topics.VERDICTS.valueSerde().serializer().serialize("t", v10), StandardCharsets.UTF_8);
    assertTrue(json.contains("\"baselineVersion\":4,\"baselineKind\":\"last-pass\"") && json.contains("\"referenceVersion\":1")
        && json.contains("\"referenceKind\":\"best-pass\"") && json.contains("\"baselineKind\":\"reference\""), json);
    KeyValueStore<String, ModelState> h = monitor.driver.getKeyValueStore(MonitorTopology.HISTORY_STORE);
    var last = h.get("m").latest();
    assertEquals(1L, last.referenceVersion());
    assertEquals("best-pass", last.referenceKind());
    assertEquals(4L, h.get("m").lastPassVersion(), "v4 is the last PASS");
  }

  @Test
  void withoutTheReferenceTheSlideWouldPassEveryVersion() {
    // the check the issue reports: the step thresholds alone pass all ten versions
    Policy stepOnly = Policy.defaults().withReference(new io.lipwatch.monitor.verdict.ReferencePolicy(null, null, null, null,
        null, null, null, null, 20, 30.0));
    start(stepOnly);
    assertTrue(run(DriftEstimates.slide("m", 10)).stream().allMatch(x -> x.verdict() == Verdict.PASS));
  }

  /** 30 versions of a stable model: bound ±3 %, robust accuracy ±0.9 points, clean ±0.4 points (uniform, seeded). */
  static List<Estimate> stableNoisy(String model, long seed) {
    Random r = new Random(seed);
    return java.util.stream.IntStream.rangeClosed(1, 30).mapToObj(k -> estimate(model, k, k,
        10.0 * (1 + 0.03 * (2 * r.nextDouble() - 1)), 0.88 + 0.004 * (2 * r.nextDouble() - 1),
        0.30 + 0.009 * (2 * r.nextDouble() - 1), 0.25 + 0.009 * (2 * r.nextDouble() - 1),
        0.40 + 0.009 * (2 * r.nextDouble() - 1))).toList();
  }

  @Test
  void aStableNoisyModelStaysPassWithAndWithoutTheTrend() {
    start(Policy.defaults().withTrend(new TrendPolicy(true, 8, 5)));
    List<Verdict> v = run(stableNoisy("m", 20));
    assertEquals(30, v.size());
    assertTrue(v.stream().allMatch(x -> x.verdict() == Verdict.PASS),
        v.stream().filter(x -> x.verdict() != Verdict.PASS).map(Verdict::checks).toList().toString());
    assertTrue(v.get(29).checks().stream().anyMatch(c -> c.name().equals("trend-best-upper")), "the trend was checked");
    assertTrue(referenceRatio("m", "best_upper") < 1.07, "within the noise of the reference");
  }

  @Test
  void theTrendWarnsOneVersionEarlierWhenEnabled() {
    start(Policy.defaults().withTrend(new TrendPolicy(true, 8, 5)));
    List<Verdict> v = run(DriftEstimates.slide("m", 5));
    assertEquals(List.of("PASS", "PASS", "PASS", "WARN", "WARN"), v.stream().map(x -> x.verdict().name()).toList());
    Verdict.Check t = check(v.get(3), "trend-best-upper");
    assertEquals(Verdict.WARN, t.status());
    assertEquals("trend", t.baselineKind());
    assertEquals(1L, t.baselineVersion(), "the line starts at v1");
    assertEquals(Verdict.WARN, check(v.get(3), "trend-robust-accuracy:fgsm/l2/2.0").status());
    assertEquals(Verdict.PASS, check(v.get(3), "reference-best-upper-growth").status(), "the reference itself is not reached yet");
    assertFalse(v.get(2).checks().stream().anyMatch(c -> c.name().startsWith("trend-")), "fewer than 4 versions: no line");
  }

  @Test
  void aPinnedVersionIsTheReferenceAndUnpinningFallsBackToTheBestPass() {
    start(Policy.defaults());
    monitor.estimates.pipeInput("m", estimate("m", 1, 0, 10.0, 0.88, 0.30, 0.25, 0.40));
    monitor.estimates.pipeInput("m", estimate("m", 2, 1, 9.0, 0.88, 0.30, 0.25, 0.40)); // better: the best PASS
    monitor.pins.pipeInput("m", new BaselinePin("m", 1, "now", "release 1"));
    monitor.estimates.pipeInput("m", estimate("m", 3, 2, 10.5, 0.88, 0.30, 0.25, 0.40));
    monitor.pins.pipeInput("m", (BaselinePin) null);
    monitor.estimates.pipeInput("m", estimate("m", 4, 3, 10.5, 0.88, 0.30, 0.25, 0.40)); // ×1.17 of v2: PASS
    List<Verdict> v = monitor.verdicts.readValuesToList();
    assertEquals(1L, v.get(1).referenceVersion());
    assertEquals(1L, v.get(2).referenceVersion());
    assertEquals("pinned", v.get(2).referenceKind());
    assertEquals("pinned", v.get(2).baselineKind());
    assertEquals(1.05, check(v.get(2), "reference-best-upper-growth").value(), 1e-9);
    assertEquals(2L, v.get(3).referenceVersion(), "unpinned: the best PASS of the window");
    assertEquals("best-pass", v.get(3).referenceKind());
    assertEquals(3L, v.get(3).baselineVersion());
    assertEquals(10.5 / 9.0, check(v.get(3), "reference-best-upper-growth").value(), 1e-9);
  }

  @Test
  void theReferenceAgesOutOfTheWindowByVersions() {
    start(Policy.defaults());
    monitor.estimates.pipeInput("m", estimate("m", 1, 0, 10.0, 0.88, 0.30, 0.25, 0.40));
    for (int k = 2; k <= 22; k++) {
      monitor.estimates.pipeInput("m", estimate("m", k, 0, 10.5, 0.88, 0.30, 0.25, 0.40));
    }
    List<Verdict> v = monitor.verdicts.readValuesToList();
    assertEquals(1L, v.get(20).referenceVersion(), "v21: v1 is still one of the last 20 versions");
    assertEquals(21L, v.get(21).referenceVersion(), "v22: v1 left the window; among equal bounds the newest");
  }

  @Test
  void theReferenceAgesOutOfTheWindowByDays() {
    start(Policy.defaults());
    monitor.estimates.pipeInput("m", estimate("m", 1, 0, 10.0, 0.88, 0.30, 0.25, 0.40));
    monitor.estimates.pipeInput("m", estimate("m", 2, 29, 10.5, 0.88, 0.30, 0.25, 0.40));
    monitor.estimates.pipeInput("m", estimate("m", 3, 40, 10.5, 0.88, 0.30, 0.25, 0.40));
    List<Verdict> v = monitor.verdicts.readValuesToList();
    assertEquals(1L, v.get(1).referenceVersion());
    assertEquals(2L, v.get(2).referenceVersion(), "v1 is 40 days older than v3");
    assertEquals(2L, v.get(2).baselineVersion());
  }

  @Test
  void withoutAPassInTheWindowTheLastPassIsTheReference() {
    start(Policy.defaults());
    monitor.estimates.pipeInput("m", estimate("m", 1, 0, 10.0, 0.88, 0.30, 0.25, 0.40));
    monitor.estimates.pipeInput("m", estimate("m", 2, 45, 10.5, 0.88, 0.30, 0.25, 0.40));
    Verdict v2 = monitor.verdicts.readValuesToList().get(1);
    assertEquals(1L, v2.referenceVersion(), "v1 is 45 days old, but the last PASS: the drift stays visible");
    assertEquals("last-pass", v2.referenceKind());
    assertEquals(1.05, check(v2, "reference-best-upper-growth").value(), 1e-9);
    assertEquals(1.05, referenceRatio("m", "best_upper"), 1e-9);
  }

  @Test
  void theFirstVersionHasNoReferenceAndNoRatio() {
    start(Policy.defaults());
    Verdict v1 = run(List.of(estimate("m", 1, 0, 10.0, 0.88, 0.30, 0.25, 0.40))).get(0);
    assertNull(v1.referenceVersion());
    assertNull(v1.referenceKind());
    assertTrue(v1.checks().stream().noneMatch(c -> c.name().startsWith("reference-")), v1.checks().toString());
    assertTrue(Double.isNaN(referenceRatio("m", "best_upper")));
    assertTrue(!monitor.registry.scrape().contains("lipwatch_reference_ratio{metric=\"best_upper\",model=\"m\"}"),
        "no reference: no series (/metrics carries finite numbers only)");
  }

  @Test
  void thePolicyFileTakesTheReferenceAndTrendFieldsAndNamesBadOnes() throws Exception {
    Path f = Files.writeString(tmp.resolve("p.json"), "{\"referenceUpperGrowthFail\": 1.3, \"referenceWindowVersions\": 5,"
        + " \"referenceWindowDays\": null, \"trendEnabled\": true, \"trendHorizon\": 3}");
    Policy p = Policy.load(f);
    assertEquals(1.3, p.reference().upperGrowthFail());
    assertEquals(5, p.reference().windowVersions());
    assertNull(p.reference().windowDays());
    assertEquals(1.20, p.reference().upperGrowthWarn());
    assertTrue(p.trend().enabled());
    assertEquals(3, p.trend().horizon());
    assertEquals(8, p.trend().versions());
    assertEquals(1.25, p.upperGrowthFail());
    for (String bad : List.of("{\"trendEnabled\": 1}", "{\"trendVersions\": 0}", "{\"trendHorizon\": 2.5}",
        "{\"referenceRobustDropWarn\": -1}", "{\"referenceWindow\": 3}")) {
      Path b = Files.writeString(tmp.resolve("bad.json"), bad);
      var e = assertThrows(IOException.class, () -> Policy.load(b), bad);
      String field = bad.substring(2, bad.indexOf('"', 2));
      assertTrue(e.getMessage().contains(field), e.getMessage());
    }
  }
}
