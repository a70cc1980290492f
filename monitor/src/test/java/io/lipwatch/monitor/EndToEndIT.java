package io.lipwatch.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.stream.DlqRecord;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.estimator.testing.TestModels;
import io.lipwatch.monitor.testing.LivePipeline;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;

/**
 * End to end against real parts: a KRaft broker from Kafka's own jars, snapshots produced by kcat (a third-party
 * client), the estimator and monitor streams, and the monitor's /metrics over HTTP.
 */
class EndToEndIT {
  @TempDir
  static Path tmp;
  static LivePipeline pipeline;

  @BeforeAll
  static void start() throws Exception {
    pipeline = LivePipeline.start(tmp, 2, 100);
  }

  @AfterAll
  static void stop() throws Exception {
    if (pipeline != null) {
      pipeline.close();
    }
  }

  /** Produces one message from a file with kcat, headers included. */
  static void kcatProduce(String key, Path file, Map<String, String> headers) throws Exception {
    kcatProduce(pipeline.broker.bootstrapServers(), key, file, headers);
  }

  static void kcatProduce(String bootstrap, String key, Path file, Map<String, String> headers) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("kcat", "-P", "-b", bootstrap, "-t", Topics.SNAPSHOTS.name(),
        "-k", key, "-z", "zstd", "-X", "message.max.bytes=" + Topics.SNAPSHOT_MAX_MESSAGE_BYTES));
    headers.forEach((k, v) -> {
      cmd.add("-H");
      cmd.add(k + "=" + v);
    });
    cmd.add(file.toString());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kcat did not finish");
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.exitValue(), "kcat failed: " + out);
  }

  static <V> List<ConsumerRecord<String, V>> consume(String topic, Deserializer<V> valueDeserializer, int atLeast) {
    Map<String, Object> props = new HashMap<>(pipeline.kafka.toMap());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + topic + "-" + System.nanoTime());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<ConsumerRecord<String, V>> out = new ArrayList<>();
    try (KafkaConsumer<String, V> c = new KafkaConsumer<>(props, Topics.ESTIMATES.keySerde().deserializer(), valueDeserializer)) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (out.size() < atLeast && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(500)).forEach(out::add);
      }
    }
    return out;
  }

  static String get(String path) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + pipeline.monitor.httpPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      synchronized (EndToEndIT.class) {
        EndToEndIT.class.wait(200);
      }
    }
  }

  @Test
  void kcatSnapshotsGetEstimatesAndBadOnesReachTheDlqWithReasons() throws Exception {
    byte[] zip = TestModels.zip(TestModels.mlp(21, Activation.RELU, 30, 20, 10));
    Path good = Files.write(tmp.resolve("good.zip"), zip);
    byte[] randomBytes = TestModels.randomBytes(3, 20_000);
    Path random = Files.write(tmp.resolve("random.bin"), randomBytes);
    byte[] cut = Arrays.copyOf(zip, zip.length / 2);
    Path truncated = Files.write(tmp.resolve("truncated.zip"), cut);

    // the probe set the snapshots name in lipwatch.dataset
    pipeline.publishRandomProbes("fashion-mnist");

    kcatProduce("kcat-model", random, TestModels.headers("kcat-model", 1, randomBytes));
    kcatProduce("kcat-model", truncated, TestModels.headers("kcat-model", 2, cut));
    kcatProduce("kcat-model", good, TestModels.headers("kcat-model", 3, zip));

    var estimates = consume(Topics.ESTIMATES.name(), Topics.ESTIMATES.valueSerde().deserializer(), 1);
    assertEquals(1, estimates.size());
    Estimate e = estimates.get(0).value();
    assertEquals("kcat-model", e.model());
    assertEquals(3, e.version());
    assertTrue(Double.isFinite(e.lipschitz().bestUpper()));
    assertTrue(e.lipschitz().upper().stream().anyMatch(u -> u.method().equals("lipsdp") && u.sound()),
        "the stream reports a verified LipSDP bound for a small MLP");
    assertEquals("fashion-mnist", e.probes().dataset());
    assertEquals(60, e.probes().samples());
    assertTrue(e.probes().attacks().stream().anyMatch(a -> a.attack().equals("pgd") && a.norm().equals("l2") && a.eps() == 2.0));

    var dlq = consume(Topics.SNAPSHOTS_DLQ.name(), Topics.SNAPSHOTS_DLQ.valueSerde().deserializer(), 2);
    assertEquals(2, dlq.size());
    List<String> reasons = dlq.stream().map(r -> r.value()).map(DlqRecord::reason).toList();
    assertEquals("not-a-model-zip", reasons.get(0));
    assertEquals("not-a-model-zip", reasons.get(1));
    assertTrue(dlq.get(1).value().detail().contains("truncated"), dlq.get(1).value().detail());
    assertEquals("2", dlq.get(1).value().headers().get("lipwatch.version"));

    await("the model on /metrics", Duration.ofSeconds(60),
        () -> metrics().contains("lipwatch_lipschitz_best_upper_bound{model=\"kcat-model\"}"));
    String m = metrics();
    assertTrue(m.contains("lipwatch_snapshot_version{model=\"kcat-model\"} 3.0"), m);
    assertTrue(m.contains("lipwatch_snapshots_rejected_total{model=\"kcat-model\",reason=\"not-a-model-zip\"} 2.0"), m);
    assertTrue(m.contains("lipwatch_lipschitz_upper_bound{method=\"autolip\",model=\"kcat-model\",sound=\"true\"}"), m);
    assertTrue(m.contains("kafka_stream"), "Kafka Streams metrics are exported");
    assertTrue(m.contains("lipwatch_robust_accuracy_ratio{attack=\"pgd\",eps=\"2.0\",model=\"kcat-model\",norm=\"l2\"}"), m);
    assertTrue(m.contains("lipwatch_certified_accuracy_ratio{eps=\"0.1\",method=\"global\",model=\"kcat-model\",norm=\"l2\"}"), m);
    assertTrue(m.contains("lipwatch_clean_accuracy_ratio{model=\"kcat-model\"}"), m);
    assertTrue(m.contains("jvm_memory_used_bytes"), "JVM metrics are exported");
    assertTrue(get("/api/models").contains("\"kcat-model\""));
    assertTrue(get("/api/models/nope/versions").contains("unknown model"));
    assertTrue(get("/healthz").contains("UP"));
  }

  static String metrics() {
    try {
      return get("/metrics");
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
