package io.lipwatch.estimator.estimate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.pipeline.EstimatePipeline;
import io.lipwatch.estimator.probes.ProbeConfig;
import io.lipwatch.estimator.probes.Fixtures;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.snapshot.SafeModelRestorer;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.testing.TestModels;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/**
 * The pipeline's estimate carries one certified entry per radius and method (global, pairwise, local), each method at
 * least as strong as the weaker one, and validates against the schema.
 */
class CertifiedEntriesSchemaTest {
  @Test
  void everyRadiusHasTheThreeMethodsAndTheEstimateIsValid() throws Exception {
    byte[] zip = TestModels.zip(TestModels.mlp(5, Activation.RELU, 20, 16, 16, 5));
    var model = new SafeModelRestorer(SnapshotLimits.defaults()).restore(zip);
    ProbeSet set = Fixtures.uniformSet("random", 200, List.of(20), 5, 0, 1, 3);
    ProbeConfig cfg = ProbeConfig.defaults().withAttacks(List.of()).withNoiseSigmas(List.of()).withMinPerturbation(null)
        .withCertifiedEps(List.of(0.01, 0.05)).withTimeBudget(Duration.ofSeconds(30));
    Estimate e = new EstimatePipeline(new LipschitzEngine(EngineConfig.defaults()), cfg)
        .run(model, SnapshotMetadata.of("m", 1, Sha256.hex(zip)), WarmStart.EMPTY, set, List.of()).estimate();
    List<Probes.CertifiedAccuracy> cert = e.probes().certified();
    assertEquals(6, cert.size(), cert.toString());
    for (double eps : List.of(0.01, 0.05)) {
      var byMethod = cert.stream().filter(c -> c.eps() == eps)
          .collect(Collectors.toMap(Probes.CertifiedAccuracy::method, Probes.CertifiedAccuracy::accuracy));
      assertEquals(java.util.Set.of("global", "pairwise", "local"), byMethod.keySet());
      assertTrue(byMethod.get("global") <= byMethod.get("pairwise") && byMethod.get("pairwise") <= byMethod.get("local"),
          byMethod.toString());
    }
    JsonNode json = EstimateJson.mapper().readTree(EstimateJson.toBytes(e));
    assertEquals(java.util.Set.of(), EstimateSchemaTest.schema().validate(json));
  }
}
