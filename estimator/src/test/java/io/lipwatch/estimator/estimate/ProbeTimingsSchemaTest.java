package io.lipwatch.estimator.estimate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.pipeline.EstimatePipeline;
import io.lipwatch.estimator.probes.ProbeConfig;
import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import io.lipwatch.estimator.probes.Fixtures;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.snapshot.SafeModelRestorer;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.testing.TestModels;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/**
 * The optional {@code probes.timings} (seconds per probe phase, and the wait for the engine's sound bound): the
 * pipeline's estimate carries one per phase run, they add up to no more than the probes' seconds, the estimate
 * validates, a negative or non-numeric timing does not, and an estimate without timings still reads.
 */
class ProbeTimingsSchemaTest {
  private static final Set<String> KEYS = Set.of("clean", "noise", "certified", "certified-pairwise-local", "attacks",
      "min-perturbation", "certificate-check", Probes.BOUND_WAIT);

  @Test
  void pipelineEstimateCarriesPhaseTimingsAndValidates() throws Exception {
    byte[] zip = TestModels.zip(TestModels.mlp(5, Activation.RELU, 20, 16, 16, 5));
    var model = new SafeModelRestorer(SnapshotLimits.defaults()).restore(zip);
    ProbeSet set = Fixtures.uniformSet("random", 100, List.of(20), 5, 0, 1, 3);
    ProbeConfig cfg = ProbeConfig.defaults().withNoiseSigmas(List.of(0.1)).withCertifiedEps(List.of(0.01))
        .withAttacks(List.of(AttackSpec.fgsm(Norm.L2, 0.5), AttackSpec.pgd(Norm.L2, 0.5, 5, 0.25)))
        .withMinPerturbation(new ProbeConfig.MinPerturbationSpec(2.0, 2, 5)).withTimeBudget(Duration.ofSeconds(30));
    Estimate e = new EstimatePipeline(new LipschitzEngine(EngineConfig.defaults()), cfg)
        .run(model, SnapshotMetadata.of("m", 1, Sha256.hex(zip)), WarmStart.EMPTY, set, List.of()).estimate();
    Map<String, Double> t = e.probes().timings();
    assertNotNull(t, "probes.timings");
    assertTrue(KEYS.containsAll(t.keySet()), t.toString());
    assertTrue(t.keySet().containsAll(List.of("clean", "noise", "attacks", "min-perturbation")), t.toString());
    assertTrue(t.values().stream().allMatch(v -> v >= 0), t.toString());
    // the certificate phases (and the waits for the bound) run beside the others: each side adds up to no more than the
    // probes' seconds (rounded to the millisecond per entry)
    Set<String> beside = Set.of("certified", "certified-pairwise-local", Probes.BOUND_WAIT);
    for (boolean side : new boolean[] {true, false}) {
      double sum = t.entrySet().stream().filter(en -> beside.contains(en.getKey()) == side)
          .mapToDouble(Map.Entry::getValue).sum();
      assertTrue(sum <= e.probes().seconds() + 0.001 * t.size(), sum + " > " + e.probes().seconds() + " " + t);
    }
    JsonNode json = EstimateJson.mapper().readTree(EstimateJson.toBytes(e));
    assertEquals(Set.of(), EstimateSchemaTest.schema().validate(json));
    assertEquals(t, EstimateJson.fromBytes(EstimateJson.toBytes(e)).probes().timings());

    ObjectNode negative = json.deepCopy();
    ((ObjectNode) negative.path("probes").path("timings")).put("attacks", -1.0);
    assertFalse(EstimateSchemaTest.schema().validate(negative).isEmpty());
    ObjectNode text = json.deepCopy();
    ((ObjectNode) text.path("probes").path("timings")).put("attacks", "fast");
    assertFalse(EstimateSchemaTest.schema().validate(text).isEmpty());

    // optional: an estimate written before timings existed is valid and reads with none
    ObjectNode old = json.deepCopy();
    ((ObjectNode) old.path("probes")).remove("timings");
    assertEquals(Set.of(), EstimateSchemaTest.schema().validate(old));
    assertNull(EstimateJson.fromBytes(EstimateJson.mapper().writeValueAsBytes(old)).probes().timings());
  }
}
