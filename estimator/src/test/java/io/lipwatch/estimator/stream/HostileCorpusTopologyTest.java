package io.lipwatch.estimator.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.EstimateJson;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.metrics.EstimatorMetrics;
import io.lipwatch.estimator.metrics.MeterNames;
import io.lipwatch.estimator.snapshot.RejectReason;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.testing.EstimatorDriver;
import io.lipwatch.estimator.testing.HostileSnapshots;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile-snapshot corpus through the real estimator topology: thousands of seeded cases, each with exactly one
 * outcome (an estimate or a DLQ record with a known reason), the stream alive throughout, no NaN or Inf in any
 * estimate, every estimate valid against the schema, no sound bound of 0 for these (non-zero) networks, and bounded
 * metric labels whatever the keys.
 */
class HostileCorpusTopologyTest {
  static final int CASES = Integer.getInteger("lipwatch.fuzz.cases", 2000);
  static final long SEED = Long.getLong("lipwatch.fuzz.seed", 20261130L);

  @TempDir
  Path tmp;

  @Test
  void everyRecordHasExactlyOneSaneOutcome() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    EstimatorMetrics metrics = new EstimatorMetrics();
    metrics.bindTo(registry);
    // LipSDP spawns CSDP per snapshot and has its own tests; everything else the stream runs by default runs here
    EngineConfig engine = EngineConfig.defaults().withBudget(Duration.ofSeconds(1))
        .withMethods(Set.of("autolip", "autolip-power", "seqlip", "lipbound", "gram", "gradient-norm", "clip-pairs"));
    EstimatorSettings settings = new EstimatorSettings(SnapshotLimits.defaults(), engine, null, null, null);
    JsonSchema schema = EstimatorDriver.estimateSchema();
    Map<String, Map<String, Integer>> tally = new TreeMap<>();
    HostileSnapshots corpus = new HostileSnapshots(SEED);
    long t0 = System.nanoTime();
    try (EstimatorDriver stream = new EstimatorDriver(EstimatorTopology.build(settings, metrics), "fuzz-estimator", tmp)) {
      for (int i = 0; i < CASES; i++) {
        HostileSnapshots.Case c = corpus.next(i);
        String where = "case " + i + " (" + c.kind() + ")";
        EstimatorDriver.Outcome o = stream.send(c, where); // a stopped stream would throw here
        tally.computeIfAbsent(c.kind(), k -> new TreeMap<>()).merge(o.label(), 1, Integer::sum);
        if (o.rejected() != null) {
          checkDlq(o.rejected(), c, where);
        } else {
          checkEstimate(o.estimate(), schema, where);
        }
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    Set<String> modelLabels = registry.getMeters().stream().filter(m -> m.getId().getName().equals(MeterNames.SNAPSHOTS_REJECTED))
        .map(m -> m.getId().getTag(MeterNames.TAG_MODEL)).collect(Collectors.toSet());
    // the corpus uses five valid model names (fuzz-0..4); every other key or name shares one label
    assertTrue(modelLabels.size() <= 6, "model labels: " + modelLabels);
    assertTrue(modelLabels.stream().allMatch(l -> l.equals(MeterNames.INVALID_MODEL_LABEL) || l.matches("fuzz-[0-4]")), modelLabels.toString());
    report(tally, seconds);
    // the peak RSS in the report is the whole test JVM's (other test classes share the fork), so it is reported, not
    // asserted; run this class alone at -Xmx1g for the estimator's memory figure (README)
  }



  private static void checkDlq(DlqRecord d, HostileSnapshots.Case c, String where) {
    assertNotNull(RejectReason.ofLabel(d.reason()), where + ": unknown reason " + d.reason());
    assertFalse(d.detail() == null || d.detail().isBlank(), where + ": a DLQ record says why");
    if (c.reason() != null) {
      assertEquals(c.reason(), d.reason(), where + ": " + d.detail());
    }
    if (d.model() != null) {
      assertTrue(d.model().length() <= 128 && d.model().matches("[A-Za-z0-9][A-Za-z0-9._-]*"), where + ": DLQ model " + d.model());
    }
  }

  private static void checkEstimate(Estimate e, JsonSchema schema, String where) throws Exception {
    String json = new String(EstimateJson.toBytes(e), StandardCharsets.UTF_8);
    assertFalse(json.contains("NaN") || json.contains("Infinity"), where + ": non-finite number in " + json);
    JsonNode tree = EstimateJson.mapper().readTree(json);
    assertEquals(Set.of(), schema.validate(tree), where);
    assertNull(e.inconsistent(), where + ": inconsistent bounds " + e.lipschitz());
    assertNotNull(e.lipschitz().bestUpper(), where + ": no sound upper bound");
    for (UpperBound u : e.lipschitz().upper()) {
      assertTrue(!u.sound() || u.value() > 0, where + ": sound bound " + u.method() + " = " + u.value());
    }
    assertTrue(e.architecture().parameters() > 0 && e.architecture().inputShape().stream().allMatch(d -> d > 0), where);
  }

  private static void report(Map<String, Map<String, Integer>> tally, double seconds) throws Exception {
    StringBuilder b = new StringBuilder(String.format("hostile corpus: %d cases, seed %d, %.1f s, peak RSS %s%n",
        CASES, SEED, seconds, peakRss()));
    tally.forEach((kind, outcomes) -> b.append(String.format("  %-20s %s%n", kind, outcomes)));
    System.out.print(b);
    Path out = Path.of("target", "hostile-corpus.txt");
    Files.createDirectories(out.getParent());
    Files.writeString(out, b.toString());
  }

  /** VmHWM of this JVM (peak resident set), for the memory figure in the report. */
  static String peakRss() throws Exception {
    Path status = Path.of("/proc/self/status");
    if (!Files.exists(status)) {
      return "n/a";
    }
    return Files.readAllLines(status).stream().filter(l -> l.startsWith("VmHWM")).map(l -> l.replaceAll("\\s+", " "))
        .findFirst().orElse("n/a");
  }

}
