package io.lipwatch.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lipwatch.estimator.estimate.Architecture;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.LipschitzBounds;
import io.lipwatch.estimator.estimate.OutcomeBits;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.estimate.SampleOutcomes;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.monitor.stream.ModelState;
import io.lipwatch.monitor.stream.MonitorTopology;
import io.lipwatch.monitor.testing.MonitorDriver;
import io.lipwatch.monitor.verdict.Policy;
import java.nio.file.Path;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Estimates with per-sample outcomes through the monitor topology: the verdict record on lipwatch.verdicts carries the
 * test, p-value and discordant counts of every accuracy check, the history store keeps outcomes only where a later
 * version may need them, and an estimate without outcomes is judged unpaired.
 */
class PairedTopologyTest {
  static final int N = 256;
  @TempDir
  Path tmp;
  MonitorDriver monitor;
  TestOutputTopic<String, byte[]> verdicts; // raw JSON: the checks' wire form

  /** PGD-L2 robust on the first {@code robust} samples, except the first {@code lost}; every sample correct. */
  static Estimate estimate(long version, int robust, int lost, boolean withOutcomes) {
    boolean[] clean = new boolean[N];
    java.util.Arrays.fill(clean, true);
    boolean[] pgd = new boolean[N];
    for (int i = lost; i < robust; i++) {
      pgd[i] = true;
    }
    double acc = (robust - lost) / (double) N;
    Probes p = new Probes("fashion-mnist", N, 1.0, List.of(),
        List.of(new Probes.AttackResult("pgd", "l2", 2.0, 100, 0.25, acc, 1.0)), List.of(), null, 1.0);
    if (withOutcomes) {
      p = p.withOutcomes(new SampleOutcomes(SampleOutcomes.BITS_LE_BASE64, N, "c".repeat(64), OutcomeBits.encode(clean),
          List.of(new SampleOutcomes.AttackOutcomes("pgd", "l2", 2.0, OutcomeBits.encode(pgd))), List.of()));
    }
    return new Estimate("m", version, "a".repeat(64), "2026-12-01T00:0" + version + ":00Z",
        new Architecture("MultiLayerNetwork", 3, 10, List.of(4L), 2),
        LipschitzBounds.of(List.of(new UpperBound("autolip", 10.0, true, 0.01)), List.of()), p, List.of(), 0.1, null);
  }

  @BeforeEach
  void setUp() {
    monitor = new MonitorDriver(Policy.defaults(), "test-paired", tmp);
    verdicts = monitor.driver.createOutputTopic(Topics.VERDICTS.name(), Serdes.String().deserializer(),
        Serdes.ByteArray().deserializer());
  }

  @AfterEach
  void tearDown() {
    monitor.close();
  }

  static JsonNode check(JsonNode verdict, String name) {
    for (JsonNode c : verdict.get("checks")) {
      if (c.get("name").asText().equals(name)) {
        return c;
      }
    }
    throw new AssertionError(name + " missing in " + verdict);
  }

  @Test
  void verdictRecordsCarryThePairedTestAndTheStoreKeepsOutcomesOfBaselinesOnly() throws Exception {
    monitor.estimates.pipeInput("m", estimate(1, 80, 0, true));
    // v2: −2.7 points (WARN by the threshold), 7 lost, 0 gained: p = 1/128, not below 0.01/2 (two distinct tests: clean
    // and PGD against v1, the step baseline and the reference alike) → PASS
    monitor.estimates.pipeInput("m", estimate(2, 80, 7, true));
    monitor.estimates.pipeInput("m", estimate(3, 80, 30, true)); // −9.0 points against v2, 23 lost: p = 2^-23 → FAIL
    monitor.estimates.pipeInput("m", estimate(4, 80, 8, false)); // no outcomes: unpaired against v2, within the thresholds
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> v = verdicts.readValuesToList().stream().map(b -> {
      try {
        return json.readTree(b);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }).toList();
    assertEquals(List.of("PASS", "PASS", "FAIL", "PASS"), v.stream().map(x -> x.get("verdict").asText()).toList());
    JsonNode noise = check(v.get(1), "robust-accuracy:pgd/l2/2.0");
    assertEquals("mcnemar-exact", noise.get("test").asText());
    assertEquals(1.0 / 128, noise.get("pValue").asDouble(), 1e-15);
    assertEquals(7, noise.get("discordantLost").asInt());
    assertEquals(0, noise.get("discordantGained").asInt());
    assertEquals("PASS", noise.get("status").asText(), noise.toString());
    assertTrue(noise.get("message").asText().contains("within sampling noise"), noise.toString());
    JsonNode drop = check(v.get(2), "robust-accuracy:pgd/l2/2.0");
    assertEquals("FAIL", drop.get("status").asText());
    assertEquals(Math.pow(2, -23), drop.get("pValue").asDouble(), 1e-20);
    assertEquals(2, drop.get("baselineVersion").asInt());
    JsonNode bare = check(v.get(3), "robust-accuracy:pgd/l2/2.0");
    assertEquals("unpaired", bare.get("test").asText());
    assertFalse(bare.has("pValue"));
    assertTrue(bare.get("message").asText().contains("unpaired: no per-sample outcomes in this version"), bare.toString());

    KeyValueStore<String, ModelState> h = monitor.driver.getKeyValueStore(MonitorTopology.HISTORY_STORE);
    List<Long> withOutcomes = h.get("m").versions().stream().filter(x -> x.outcomes() != null).map(x -> x.version()).toList();
    // v1, v2 are PASS versions inside the reference window; v3 FAILed (never a baseline); v4 had none
    assertEquals(List.of(1L, 2L), withOutcomes);
    assertNotNull(h.get("m").find(2).outcomes().robust().get("pgd/l2/2.0"));
    assertNull(h.get("m").find(3).outcomes());
    assertEquals(Verdict.FAIL, h.get("m").find(3).verdict());
  }
}
