package io.lipwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lipwatch.estimator.estimate.EstimateJson;
import io.lipwatch.estimator.testing.KnownLipschitz;
import io.lipwatch.estimator.testing.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import picocli.CommandLine;

class CliTest {
  record Run(int code, String out, String err) {}

  static synchronized Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    StringWriter picoErr = new StringWriter();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      CommandLine cl = LipwatchCli.commandLine();
      cl.setErr(new PrintWriter(picoErr, true));
      int code = cl.execute(args);
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8) + picoErr);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void everyVerbHasHelp() {
    for (String verb : new String[] {"demo", "broker", "publish", "publish-probeset", "estimate", "estimator", "monitor", "train", "bench", "topics", "pin"}) {
      Run r = run(verb, "--help");
      assertEquals(0, r.code(), verb);
      assertTrue(r.out().contains("Usage: lipwatch " + verb), verb + ": " + r.out());
    }
  }

  @Test
  void badFlagIsAClearUsageError() {
    Run r = run("estimate", "--no-such-flag", "x.zip");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("Unknown option: '--no-such-flag'"), r.err());
    Run d = run("demo", "--duration", "soon");
    assertEquals(2, d.code());
    assertTrue(d.err().contains("'soon' is not a duration"), d.err());
  }

  @Test
  void missingDatasetDirectoryIsNamedByEveryTrainingVerb(@TempDir Path tmp) {
    String missing = tmp.resolve("no-such-dataset").toString();
    for (String[] args : new String[][] {
        {"train", "--data", missing, "--epochs", "1", "--out", tmp.resolve("m.zip").toString()},
        {"demo", "--data", missing}}) {
      Run r = run(args);
      assertEquals(2, r.code(), String.join(" ", args));
      assertTrue(r.err().contains(missing) && r.err().contains("dataset directory"), r.err());
    }
  }

  @Test
  void missingFileNamesTheFile() {
    Run r = run("estimate", "/nonexistent/model.zip");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("/nonexistent/model.zip"), r.err());
  }

  @Test
  void unknownMethodIsAUsageErrorListingTheKnownOnes(@TempDir Path tmp) throws Exception {
    Path zip = Files.write(tmp.resolve("m.zip"), TestModels.zip(TestModels.mlp(1, Activation.RELU, 4, 3, 2)));
    Run r = run("estimate", "--methods", "autolip,nope", zip.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("unknown method(s) [nope]") && r.err().contains("eclipse-fast"), r.err());
  }

  @Test
  void publishWithoutBootstrapSaysSo(@TempDir Path tmp) throws Exception {
    Path zip = Files.write(tmp.resolve("m.zip"), TestModels.zip(TestModels.mlp(1, Activation.RELU, 4, 3, 2)));
    Run r = run("publish", "--model", "m", zip.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--bootstrap is required"), r.err());
  }

  /** The fixture's logit map has ‖W‖₂ = 2.5 exactly ({@link KnownLipschitz}): the estimate must bracket it tightly. */
  @Test
  void estimatePrintsJsonAndATable(@TempDir Path tmp) throws Exception {
    Path zip = Files.write(tmp.resolve("small-mlp.zip"), TestModels.zip(KnownLipschitz.model(2, 10, 2.5, 1.0, 0.25)));
    Run r = run("estimate", zip.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = EstimateJson.mapper().readTree(r.out());
    assertEquals("small-mlp", j.get("model").asText());
    double upper = j.get("lipschitz").get("bestUpper").asDouble();
    double lower = j.get("lipschitz").get("bestLower").asDouble();
    assertTrue(upper >= 2.5 * (1 - 1e-6) && upper <= 2.5 * 1.001, "bestUpper " + upper + " vs exact 2.5");
    assertTrue(lower <= 2.5 * (1 + 1e-6) && lower >= 2.5 * 0.999, "bestLower " + lower + " vs exact 2.5");
    for (JsonNode u : j.get("lipschitz").get("upper")) {
      assertTrue(!u.get("sound").asBoolean() || u.get("value").asDouble() >= 2.5 * (1 - 1e-6), "unsound: " + u);
    }
    Run t = run("estimate", zip.toString(), "--methods", "autolip");
    assertEquals(0, t.code(), t.err());
    assertTrue(t.out().contains("autolip") && t.out().contains("bestUpper"), t.out());
    assertTrue(!t.out().contains("autolip-power"), t.out());
  }

  @Test
  void corruptZipIsReportedWithTheReason(@TempDir Path tmp) throws Exception {
    Path bad = Files.write(tmp.resolve("bad.zip"), TestModels.randomBytes(5, 1000));
    Run r = run("estimate", bad.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("not-a-model-zip"), r.err());
  }

  @Test
  void lipBoundTrainsTheCnnOfflineAndRefusesAnMlp(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("cnn.zip");
    Run mlp = run("train", "--regularizer", "lipbound", "--dlambda", "0", "--epochs", "1", "--out", out.toString(),
        "--train-samples", "64");
    assertEquals(1, mlp.code());
    assertTrue(mlp.err().contains("lipbound regularises convolution layers; this network has none: use --arch cnn"), mlp.err());
    Run cnn = run("train", "--arch", "cnn", "--regularizer", "lipbound", "--target-accuracy", "0.5", "--epochs", "1",
        "--out", out.toString(), "--train-samples", "128", "--batch-size", "64", "--lipbound-grid", "12");
    assertEquals(0, cnn.code(), cnn.err());
    assertTrue(cnn.out().contains("C 0.008"), cnn.out());
    assertTrue(Files.size(out) > 0);
  }

  @Test
  void durations() {
    assertEquals(Duration.ofMinutes(4), DurationConverter.parse("4m"));
    assertEquals(Duration.ofSeconds(90), DurationConverter.parse("1m30s"));
    assertEquals(Duration.ofMillis(500), DurationConverter.parse("500ms"));
    assertEquals(Duration.ofMinutes(4), DurationConverter.parse("PT4M"));
    assertThrows(CommandLine.TypeConversionException.class, () -> DurationConverter.parse("4 minutes"));
  }
}
