package io.lipwatch.estimator.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.networknt.schema.JsonSchema;
import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.EstimateJson;
import io.lipwatch.estimator.metrics.EstimatorMetrics;
import io.lipwatch.estimator.snapshot.RejectReason;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.testing.EstimatorDriver;
import io.lipwatch.estimator.testing.HostileOnnx;
import io.lipwatch.estimator.testing.HostileSnapshots;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile ONNX snapshots (truncated, huge dims, external data, unknown ops and attributes, cycles, NaN weights, deep
 * nesting, huge inputs, bad format headers) through the real estimator topology: one outcome each, the expected DLQ
 * reason where it is certain, valid ONNX estimated with a schema-valid record.
 */
class HostileOnnxTopologyTest {
  static final int CASES = Integer.getInteger("lipwatch.fuzz.onnx.cases", 140);

  @TempDir
  Path tmp;

  @Test
  void everyOnnxRecordHasExactlyOneSaneOutcome() throws Exception {
    EstimatorMetrics metrics = new EstimatorMetrics();
    metrics.bindTo(new SimpleMeterRegistry());
    EngineConfig engine = EngineConfig.defaults().withBudget(Duration.ofSeconds(1))
        .withMethods(Set.of("autolip", "autolip-power", "seqlip", "gram", "gradient-norm"));
    EstimatorSettings settings = new EstimatorSettings(SnapshotLimits.defaults(), engine, null, null, null);
    JsonSchema schema = EstimatorDriver.estimateSchema();
    Map<String, Map<String, Integer>> tally = new TreeMap<>();
    HostileOnnx corpus = new HostileOnnx(20261201L);
    try (EstimatorDriver stream = new EstimatorDriver(EstimatorTopology.build(settings, metrics), "fuzz-onnx", tmp)) {
      for (int i = 0; i < CASES; i++) {
        HostileSnapshots.Case c = corpus.next(i);
        String where = "case " + i + " (" + c.kind() + ")";
        EstimatorDriver.Outcome o = stream.send(c, where);
        tally.computeIfAbsent(c.kind(), k -> new TreeMap<>()).merge(o.label(), 1, Integer::sum);
        if (o.rejected() != null) {
          DlqRecord d = o.rejected();
          assertNotNull(RejectReason.ofLabel(d.reason()), where + ": unknown reason " + d.reason());
          assertFalse(d.detail() == null || d.detail().isBlank(), where);
          assertTrue(!d.reason().equals("estimation-failed"), where + ": hostile input must have its own reason: " + d.detail());
          if (c.reason() != null) {
            assertEquals(c.reason(), d.reason(), where + ": " + d.detail());
          }
        } else {
          Estimate e = o.estimate();
          String json = new String(EstimateJson.toBytes(e), StandardCharsets.UTF_8);
          assertFalse(json.contains("NaN") || json.contains("Infinity"), where + ": " + json);
          assertEquals(Set.of(), schema.validate(EstimateJson.mapper().readTree(json)), where);
          assertEquals("ONNX", e.architecture().kind(), where);
          assertNotNull(e.lipschitz().bestUpper(), where);
        }
      }
    }
    System.out.println("hostile ONNX corpus: " + CASES + " cases " + tally);
    // every generator ran and the valid ones were estimated
    assertEquals(14, tally.size(), tally.toString());
    assertEquals(Map.of("estimate", CASES / 14), tally.get("onnx-valid"));
  }
}
