package io.lipwatch.monitor;

import static io.lipwatch.monitor.MonitorTopologyTest.estimate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.BaselinePin;
import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.estimator.metrics.MeterNames;
import io.lipwatch.estimator.snapshot.RejectReason;
import io.lipwatch.estimator.snapshot.SnapshotHeaders;
import io.lipwatch.estimator.stream.DlqRecord;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.monitor.metrics.MetricLabels;
import io.lipwatch.monitor.stream.ModelState;
import io.lipwatch.monitor.stream.ModelStateSerde;
import io.lipwatch.monitor.stream.MonitorTopology;
import io.lipwatch.monitor.testing.MonitorDriver;
import io.lipwatch.monitor.verdict.Policy;
import io.lipwatch.monitor.verdict.VersionSummary;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rejected version (a DLQ record) through the real monitor topology: a FAIL verdict with a {@code rejected} check and
 * its reason, history for a known model, bounded labels for anything else, and the next good version judged against
 * the last PASS.
 */
class RejectedVersionTest {
  private static final String SHA = "b".repeat(64);
  private static final String NON_FINITE = "non-finite-weights";

  @TempDir
  Path tmp;
  MonitorDriver monitor;

  @BeforeEach
  void setUp() {
    monitor = new MonitorDriver(Policy.defaults(), "test-monitor-rejected", tmp);
  }

  @AfterEach
  void tearDown() {
    monitor.close();
  }

  /** A DLQ record as the estimator writes it: the model in the record and as key, the snapshot's headers. */
  static DlqRecord rejected(String model, String version, String reason) {
    Map<String, String> h = new HashMap<>();
    if (model != null) {
      h.put(SnapshotHeaders.MODEL, model);
    }
    if (version != null) {
      h.put(SnapshotHeaders.VERSION, version);
    }
    h.put(SnapshotHeaders.SHA256, SHA);
    return new DlqRecord(reason, "coefficients.bin: weight 17 of layer 0 is NaN", h, model, "2026-11-30T23:00:00Z",
        Topics.SNAPSHOTS.name(), 0, 42L);
  }

  private KeyValueStore<String, ModelState> history() {
    return monitor.driver.getKeyValueStore(MonitorTopology.HISTORY_STORE);
  }

  /** The monitor's count of rejected snapshots of a model label (lipwatch_snapshots_total{outcome="rejected"}). */
  private double rejectedCount(String modelLabel) {
    Counter c = monitor.registry.find(MeterNames.SNAPSHOTS).tags(MeterNames.TAG_MODEL, modelLabel, MeterNames.TAG_OUTCOME, "rejected").counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void aRejectedVersionOfAKnownModelFailsWithTheRejectedCheckAndItsReason() {
    monitor.estimates.pipeInput("m", estimate("m", 1, 10.0, null, 5.0, 0.90, 0.30, 0.40));
    monitor.dlq.pipeInput("m", rejected("m", "2", NON_FINITE));
    List<Verdict> v = monitor.verdicts.readValuesToList();
    assertEquals(List.of("PASS", "FAIL"), v.stream().map(x -> x.verdict().name()).toList());
    Verdict fail = v.get(1);
    assertEquals("m", fail.model());
    assertEquals(2L, fail.version());
    assertEquals(1, fail.checks().size());
    Verdict.Check c = fail.checks().get(0);
    assertEquals("rejected", c.name());
    assertEquals(Verdict.FAIL, c.status());
    assertEquals(NON_FINITE, c.reason());
    assertTrue(c.message().contains(NON_FINITE) && c.message().contains("weight 17"), c.message());

    // what a CD gate reads on lipwatch.verdicts
    String json = new String(Topics.VERDICTS.valueSerde().serializer().serialize("t", fail), StandardCharsets.UTF_8);
    assertTrue(json.contains("\"verdict\":\"FAIL\"") && json.contains("\"name\":\"rejected\"")
        && json.contains("\"reason\":\"non-finite-weights\""), json);

    // history (what /api/models/m/versions serves): v2 with its reason; the last PASS is still v1
    ModelState s = history().get("m");
    assertEquals(List.of(1L, 2L), s.versions().stream().map(VersionSummary::version).toList());
    VersionSummary v2 = s.find(2);
    assertEquals(NON_FINITE, v2.rejected());
    assertEquals(Verdict.FAIL, v2.verdict());
    assertEquals(SHA, v2.sha256());
    assertEquals(1L, s.lastPassVersion());
    String stored = new String(new ModelStateSerde().serializer().serialize("t", s), StandardCharsets.UTF_8);
    assertTrue(stored.contains("\"rejected\":\"non-finite-weights\""), stored);

    String text = monitor.registry.scrape();
    assertTrue(text.contains("lipwatch_snapshots_total{model=\"m\",outcome=\"rejected\"} 1.0"), text);
    assertTrue(text.contains("lipwatch_verdict{model=\"m\"} 2.0"), text);
    // the count by model and reason is the estimator's; a second one here would double it (one counter in the demo)
    assertTrue(monitor.registry.find(MeterNames.SNAPSHOTS_REJECTED).meters().isEmpty(), text);
  }

  @Test
  void theNextGoodVersionIsJudgedAgainstTheLastPassNotTheRejectedOne() {
    monitor.estimates.pipeInput("m", estimate("m", 1, 10.0, null, 5.0, 0.90, 0.30, 0.40));
    monitor.dlq.pipeInput("m", rejected("m", "2", NON_FINITE));
    monitor.estimates.pipeInput("m", estimate("m", 3, 10.5, null, 5.0, 0.90, 0.30, 0.40)); // +5% vs v1: PASS
    assertTrue(monitor.registry.scrape().contains("lipwatch_verdict{model=\"m\"} 0.0"));
    monitor.estimates.pipeInput("m", estimate("m", 4, 14.0, null, 5.0, 0.90, 0.30, 0.40)); // +33% vs v3: FAIL
    List<Verdict> v = monitor.verdicts.readValuesToList();
    assertEquals(List.of("PASS", "FAIL", "PASS", "FAIL"), v.stream().map(x -> x.verdict().name()).toList());
    assertEquals(1L, v.get(2).baselineVersion(), "the rejected v2 is never a baseline");
    assertEquals("last-pass", v.get(2).baselineKind());
    assertEquals(3L, v.get(3).baselineVersion());
    assertEquals(3L, history().get("m").lastPassVersion());
    assertTrue(monitor.registry.scrape().contains("lipwatch_verdict{model=\"m\"} 2.0"));
  }

  @Test
  void aPinOnARejectedVersionFallsBackToTheLastPass() {
    monitor.estimates.pipeInput("m", estimate("m", 1, 10.0, null, 5.0, 0.90, 0.30, 0.40));
    monitor.dlq.pipeInput("m", rejected("m", "2", NON_FINITE));
    monitor.pins.pipeInput("m", new BaselinePin("m", 2, "now", "pinned by mistake"));
    monitor.estimates.pipeInput("m", estimate("m", 3, 10.5, null, 5.0, 0.90, 0.30, 0.40));
    Verdict v3 = monitor.verdicts.readValuesToList().get(2);
    assertEquals(Verdict.PASS, v3.verdict());
    assertEquals("last-pass", v3.baselineKind());
    assertEquals(1L, v3.baselineVersion());
  }

  @Test
  void aBrokenCopyOfAnEstimatedVersionLeavesItsVerdict() {
    monitor.estimates.pipeInput("m", estimate("m", 1, 10.0, null, 5.0, 0.90, 0.30, 0.40));
    monitor.dlq.pipeInput("m", rejected("m", "1", "sha256-mismatch"));
    assertEquals(List.of("PASS"), monitor.verdicts.readValuesToList().stream().map(x -> x.verdict().name()).toList());
    assertTrue(history().get("m").find(1).estimated());
    assertEquals(1.0, rejectedCount("m"), "still counted");
  }

  @Test
  void aValidlyNamedModelWithoutEstimatesGetsAVerdictButNoHistory() {
    monitor.dlq.pipeInput("fresh", rejected("fresh", "1", NON_FINITE));
    List<Verdict> v = monitor.verdicts.readValuesToList();
    assertEquals(1, v.size());
    assertEquals(Verdict.FAIL, v.get(0).verdict());
    assertEquals(NON_FINITE, v.get(0).checks().get(0).reason());
    assertNull(history().get("fresh"), "no state for a name seen only on the DLQ");
    String text = monitor.registry.scrape();
    assertTrue(text.contains("lipwatch_snapshots_total{model=\"fresh\",outcome=\"rejected\"} 1.0"), text);
    assertFalse(text.contains("lipwatch_verdict{model=\"fresh\"}"), text);
  }

  @Test
  void anUntrustedKeyIsNeverTheModel() {
    monitor.estimates.pipeInput("m", estimate("m", 1, 10.0, null, 5.0, 0.90, 0.30, 0.40));
    monitor.verdicts.readValuesToList();
    // the estimator leaves the model field empty when the key is invalid or disagrees with the header
    monitor.dlq.pipeInput("m", new DlqRecord(NON_FINITE, "x", Map.of(SnapshotHeaders.VERSION, "2"), null, "now", null, null, null));
    assertTrue(monitor.verdicts.isEmpty(), "no verdict for m from a record the estimator did not attribute to m");
    assertEquals(List.of(1L), history().get("m").versions().stream().map(VersionSummary::version).toList());
    assertEquals(1.0, rejectedCount(MetricLabels.INVALID_MODEL));
    assertEquals(0.0, rejectedCount("m"));
  }

  @Test
  void aVersionHeaderMustBeAsciiDigits() {
    monitor.estimates.pipeInput("m", estimate("m", 1, 10.0, null, 5.0, 0.90, 0.30, 0.40));
    monitor.verdicts.readValuesToList();
    for (String bad : List.of("１２", "+12", "-3", "1e3", "0x10", "12345678901234567890", "", " ")) {
      monitor.dlq.pipeInput("m", rejected("m", bad, NON_FINITE));
    }
    monitor.dlq.pipeInput("m", rejected("m", null, NON_FINITE));
    assertTrue(monitor.verdicts.isEmpty(), "no verdict without a valid version");
    assertEquals(List.of(1L), history().get("m").versions().stream().map(VersionSummary::version).toList());
    assertEquals(9.0, rejectedCount("m"), "each still counted");
    monitor.dlq.pipeInput("m", rejected("m", " 12 ", NON_FINITE)); // surrounding spaces are trimmed, as the estimator does
    assertEquals(12L, monitor.verdicts.readValue().version());
  }

  @Test
  void garbageKeysAndReasonsKeepTheSeriesBounded() {
    monitor.estimates.pipeInput("m", estimate("m", 1, 10.0, null, 5.0, 0.90, 0.30, 0.40));
    monitor.verdicts.readValuesToList();
    Random rnd = new Random(11);
    int n = 500;
    Set<String> validNames = new HashSet<>();
    int withValidName = 0;
    for (int i = 0; i < n; i++) {
      String key = garbageKey(rnd, i);
      String reason = rnd.nextInt(3) == 0 ? garbageKey(rnd, i + 1) : RejectReason.values()[rnd.nextInt(RejectReason.values().length)].label();
      // half with the model field as an (old or hostile) writer might fill it, half with only the raw key
      String model = i % 2 == 0 ? key : null;
      if (MetricLabels.validModelName(model)) {
        validNames.add(model);
        withValidName++;
      }
      monitor.dlq.pipeInput(key, rejected(model, Integer.toString(100 + i), reason));
    }
    assertTrue(withValidName >= 25, "the keys include validly named models: " + withValidName);
    List<Meter> series = List.copyOf(monitor.registry.find(MeterNames.SNAPSHOTS).tag(MeterNames.TAG_OUTCOME, "rejected").meters());
    Set<String> labels = series.stream().map(m -> m.getId().getTag(MeterNames.TAG_MODEL)).collect(Collectors.toSet());
    Set<String> allowed = new HashSet<>(validNames);
    allowed.add(MetricLabels.INVALID_MODEL);
    assertTrue(allowed.containsAll(labels), labels.toString());
    assertEquals(validNames.size() + 1, series.size(), "one series per valid name, one for everything else");
    assertEquals(n, series.stream().mapToDouble(m -> ((Counter) m).count()).sum(), "every record counted once");
    assertEquals(n - withValidName, rejectedCount(MetricLabels.INVALID_MODEL));
    for (Meter m : monitor.registry.getMeters()) {
      for (var t : m.getId().getTags()) {
        assertTrue(t.getValue().length() <= 128, "label " + t.getKey() + " of " + m.getId().getName() + " is "
            + t.getValue().length() + " characters");
      }
    }
    // verdicts only for validly named records (all with valid versions), with bounded reasons; history only for m
    List<Verdict> v = monitor.verdicts.readValuesToList();
    assertEquals(withValidName, v.size());
    Set<String> reasons = new HashSet<>(Arrays.stream(RejectReason.values()).map(RejectReason::label).toList());
    reasons.add(MetricLabels.OTHER_REASON);
    for (Verdict x : v) {
      assertTrue(reasons.contains(x.checks().get(0).reason()), x.checks().get(0).reason());
    }
    List<String> keys = new ArrayList<>();
    try (var it = history().all()) {
      it.forEachRemaining(kv -> keys.add(kv.key));
    }
    assertEquals(List.of("m"), keys);
  }

  @Test
  void fiveHundredInvalidNamesAreOneSeries() {
    Random rnd = new Random(12);
    for (int i = 0; i < 500; i++) {
      String name = i % 8 == 6 ? "_" + i : garbageKey(rnd, i); // case 6 of garbageKey is a valid name: made invalid
      monitor.dlq.pipeInput(name, rejected(name, "1", "garbage " + i));
    }
    assertEquals(1, monitor.registry.find(MeterNames.SNAPSHOTS).meters().size());
    assertEquals(500.0, rejectedCount(MetricLabels.INVALID_MODEL));
    assertTrue(monitor.verdicts.isEmpty());
  }

  /** Absent, empty, 5,007 characters, one past the limit, control characters, non-ASCII, and valid unknown names. */
  static String garbageKey(Random rnd, int i) {
    return switch (i % 8) {
      case 0 -> null;
      case 1 -> "";
      case 2 -> "x".repeat(5007);
      case 3 -> "a".repeat(129);
      case 4 -> "model\n" + rnd.nextInt(1_000_000);
      case 5 -> "modèle-" + rnd.nextInt(1_000_000);
      case 6 -> "u" + Long.toString(rnd.nextLong() & Long.MAX_VALUE, 36); // valid name, never estimated
      default -> randomText(rnd, 1 + rnd.nextInt(300));
    };
  }

  private static String randomText(Random rnd, int len) {
    StringBuilder b = new StringBuilder(len);
    for (int i = 0; i < len; i++) {
      b.append((char) rnd.nextInt(0x3000));
    }
    return b.toString();
  }
}
