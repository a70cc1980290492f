package io.lipwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lipwatch.estimator.estimate.EstimateJson;
import io.lipwatch.estimator.format.onnx.OnnxFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lipwatch estimate} on ONNX files: by extension or --format, with the exact Lipschitz constant bracketed. */
class OnnxCliTest {

  @Test
  void estimateReadsOnnxByExtensionOrFormat(@TempDir Path tmp) throws Exception {
    OnnxFixtures f = OnnxFixtures.load("relu_nonneg_o9");
    double exact = f.number("exact_lipschitz");
    Path onnx = Files.write(tmp.resolve("relu-net.onnx"), f.model());
    CliTest.Run r = CliTest.run("estimate", onnx.toString(), "--json", "--methods", "autolip,seqlip,gradient-norm");
    assertEquals(0, r.code(), r.err());
    // the JSON record is the last thing printed (native libraries may log to stdout before it)
    JsonNode j = EstimateJson.mapper().readTree(r.out().substring(r.out().indexOf("{\n")));
    assertEquals("relu-net", j.get("model").asText());
    assertEquals("ONNX", j.get("architecture").get("kind").asText());
    double upper = j.get("lipschitz").get("bestUpper").asDouble();
    double lower = j.get("lipschitz").get("bestLower").asDouble();
    assertTrue(upper >= exact * (1 - 1e-9) && lower <= exact * (1 + 1e-9) && lower >= 0.99 * exact,
        "bounds " + lower + " .. " + upper + " vs exact " + exact);

    Path bin = Files.write(tmp.resolve("model.bin"), f.model());
    CliTest.Run byFlag = CliTest.run("estimate", bin.toString(), "--format", "onnx", "--methods", "autolip");
    assertEquals(0, byFlag.code(), byFlag.err());
    assertTrue(byFlag.out().contains("ONNX"), byFlag.out());

    CliTest.Run asZip = CliTest.run("estimate", onnx.toString(), "--format", "dl4j");
    assertEquals(2, asZip.code());
    assertTrue(asZip.err().contains("not-a-model-zip"), asZip.err());
  }

  @Test
  void unsupportedOnnxIsReportedWithTheReason(@TempDir Path tmp) throws Exception {
    onnx.OnnxMl.ModelProto.Builder b = onnx.OnnxMl.ModelProto.parseFrom(OnnxFixtures.load("cnn_bn_o9").model()).toBuilder();
    b.getGraphBuilder().getNodeBuilder(0).setOpType("LSTM");
    Path bad = Files.write(tmp.resolve("bad.onnx"), b.build().toByteArray());
    CliTest.Run r = CliTest.run("estimate", bad.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("unsupported-op") && r.err().contains("LSTM"), r.err());
    // publish verifies the model locally (format from the extension) before it touches Kafka
    CliTest.Run p = CliTest.run("publish", "--bootstrap", "127.0.0.1:1", "--model", "m", bad.toString());
    assertEquals(2, p.code());
    assertTrue(p.err().contains("unsupported-op"), p.err());
  }
}
