package io.lipwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.estimator.testing.TestModels;
import io.lipwatch.monitor.testing.LivePipeline;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;

/**
 * {@code lipwatch gate} against the real pipeline (embedded KRaft broker, estimator and monitor streams): a first
 * version passes, a 4× less robust one fails, a corrupt one is rejected with its DLQ reason, an unpublished one times
 * out; WARN's exit code follows --fail-on.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GateIT {
  static final String MODEL = "gate-mlp";
  static final String DATASET = "fashion-mnist";

  @TempDir
  static Path tmp;
  static LivePipeline pipeline;
  static MultiLayerNetwork net;

  @BeforeAll
  static void start() throws Exception {
    pipeline = LivePipeline.start(tmp, 2, 60);
    pipeline.publishRandomProbes(DATASET);
    net = TestModels.mlp(21, Activation.RELU, 30, 20, 10);
  }

  @AfterAll
  static void stop() throws Exception {
    if (pipeline != null) {
      pipeline.close();
    }
  }

  record Run(int code, String out) {}

  static Run gate(String... args) {
    List<String> all = new ArrayList<>(List.of("gate", "--bootstrap", pipeline.broker.bootstrapServers()));
    all.addAll(List.of(args));
    StringWriter out = new StringWriter();
    var cl = LipwatchCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(out, true));
    int code = cl.execute(all.toArray(String[]::new));
    return new Run(code, out.toString());
  }

  @Test
  @Order(1)
  void firstVersionPassesAndItsVerdictIsReadBackFromHistory() throws Exception {
    Path v1 = Files.write(tmp.resolve("v1.zip"), TestModels.zip(net));
    Run r = gate("--model", MODEL, "--version", "1", "--publish", v1.toString(), "--dataset", DATASET, "--timeout", "3m");
    assertEquals(GateCommand.PASS, r.code(), r.out());
    assertTrue(r.out().contains("PASS: " + MODEL + " v1 (no baseline)"), r.out());
    assertTrue(r.out().contains("published " + MODEL + " v1"), r.out());
    // later, without --publish: the verdict already on the topic
    Run again = gate("--model", MODEL, "--version", "1", "--timeout", "1m");
    assertEquals(GateCommand.PASS, again.code(), again.out());
  }

  @Test
  @Order(2)
  void lessRobustVersionFailsWithItsChecks() throws Exception {
    net.getLayer(0).setParam("W", net.getLayer(0).getParam("W").mul(4));
    Path v2 = Files.write(tmp.resolve("v2.zip"), TestModels.zip(net));
    Run r = gate("--model", MODEL, "--version", "2", "--publish", v2.toString(), "--dataset", DATASET, "--timeout", "3m");
    assertEquals(GateCommand.FAIL, r.code(), r.out());
    assertTrue(r.out().contains("FAIL: " + MODEL + " v2 against last-pass baseline v1"), r.out());
    assertTrue(r.out().matches("(?s).*FAIL +best-upper-growth .*"), r.out());
  }

  @Test
  @Order(3)
  void corruptSnapshotIsRejectedWithTheDlqReason() throws Exception {
    Path junk = Files.write(tmp.resolve("junk.zip"), TestModels.randomBytes(11, 5000));
    Run r = gate("--model", MODEL, "--version", "3", "--publish", junk.toString(), "--timeout", "3m");
    assertEquals(GateCommand.TIMEOUT_OR_REJECTED, r.code(), r.out());
    assertTrue(r.out().contains("REJECTED: " + MODEL + " v3: the estimator rejected this version (not-a-model-zip)"), r.out());
  }

  @Test
  @Order(4)
  void noVerdictBeforeTheTimeout() {
    long t0 = System.nanoTime();
    Run r = gate("--model", MODEL, "--version", "42", "--timeout", "3s");
    assertEquals(GateCommand.TIMEOUT_OR_REJECTED, r.code(), r.out());
    assertTrue(r.out().contains("TIMEOUT: no verdict for " + MODEL + " v42 within PT3S"), r.out());
    assertTrue(System.nanoTime() - t0 < 60_000_000_000L, "returns soon after the timeout");
  }

  @Test
  @Order(5)
  void warnExitCodeFollowsFailOn() throws Exception {
    // a WARN verdict as the monitor writes it (the policy's WARN needs a drift the test cannot provoke cheaply)
    Verdict warn = new Verdict("warn-mlp", 7, Verdict.WARN, List.of(new Verdict.Check("clean-accuracy", Verdict.WARN, 0.8, 0.84,
        0.03, 0.1, "clean accuracy 0.80 vs 0.84")), 6L, "last-pass", "2026-01-01T00:00:00Z");
    try (KafkaProducer<String, Verdict> p = new KafkaProducer<>(pipeline.kafka.toMap(), Topics.VERDICTS.keySerde().serializer(),
        Topics.VERDICTS.valueSerde().serializer())) {
      p.send(new ProducerRecord<>(Topics.VERDICTS.name(), "warn-mlp", warn)).get();
    }
    Run r = gate("--model", "warn-mlp", "--version", "7", "--timeout", "1m");
    assertEquals(GateCommand.WARN, r.code(), r.out());
    assertTrue(r.out().contains("WARN: warn-mlp v7 against last-pass baseline v6\n  WARN clean-accuracy  clean accuracy 0.80 vs 0.84\n"),
        r.out());
    assertEquals(GateCommand.FAIL, gate("--model", "warn-mlp", "--version", "7", "--fail-on", "warn").code());
    assertEquals(GateCommand.PASS, gate("--model", "warn-mlp", "--version", "7", "--fail-on", "fail").code());
  }

  @Test
  @Order(6)
  void usageErrorsAreNeitherFailNorWarn() {
    assertEquals(GateCommand.ERROR, gate("--version", "1").code());
    assertEquals(GateCommand.ERROR, gate("--model", MODEL, "--version", "1", "--fail-on", "sometimes").code());
    Run missing = gate("--model", MODEL, "--version", "1", "--publish", tmp.resolve("nope.zip").toString());
    assertEquals(GateCommand.ERROR, missing.code(), missing.out());
    assertTrue(missing.out().contains("nope.zip"), missing.out());
  }
}
