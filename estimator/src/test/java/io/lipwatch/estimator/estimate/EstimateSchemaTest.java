package io.lipwatch.estimator.estimate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.snapshot.SafeModelRestorer;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.testing.TestModels;
import java.io.InputStream;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;

/** Real engine output validates against the JSON Schema in the repository; a broken record does not. */
class EstimateSchemaTest {
  static JsonSchema schema() throws Exception {
    try (InputStream in = EstimateSchemaTest.class.getResourceAsStream("/schema/estimate.schema.json")) {
      return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
    }
  }

  @Test
  void realEstimateIsValid() throws Exception {
    byte[] zip = TestModels.zip(TestModels.mlp(5, Activation.TANH, 20, 16, 16, 5));
    var model = new SafeModelRestorer(SnapshotLimits.defaults()).restore(zip);
    Estimate e = new io.lipwatch.estimator.pipeline.EstimatePipeline(new LipschitzEngine(EngineConfig.defaults()), null)
        .run(model, SnapshotMetadata.of("m", 1, Sha256.hex(zip)), WarmStart.EMPTY, null, java.util.List.of()).estimate();
    JsonNode json = EstimateJson.mapper().readTree(EstimateJson.toBytes(e));
    assertEquals(java.util.Set.of(), schema().validate(json));
  }

  @Test
  void brokenEstimateIsInvalid() throws Exception {
    JsonNode json = EstimateJson.mapper().valueToTree(io.lipwatch.estimator.stream.SerdesTest.sample());
    ((ObjectNode) json).put("sha256", "not-a-hash");
    ((ObjectNode) json.get("lipschitz")).put("norm", "linf");
    assertFalse(schema().validate(json).isEmpty());
  }
}
