package io.lipwatch.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.format.onnx.OnnxFixtures;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.probes.ProbeSetPublisher;
import io.lipwatch.estimator.snapshot.SnapshotHeaders;
import io.lipwatch.estimator.stream.DlqRecord;
import io.lipwatch.estimator.stream.EstimatorSettings;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.estimator.testing.TestModels;
import io.lipwatch.monitor.testing.LivePipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PyTorch ONNX export published by kcat with {@code lipwatch.format: onnx} through the real broker: the stream
 * estimates it (bounds, and attacks through the engine's own gradients), /metrics shows it, and an ONNX file with an
 * operator the engine cannot represent goes to the DLQ as unsupported-op.
 */
class OnnxSnapshotIT {
  @TempDir
  static Path tmp;
  static LivePipeline pipeline;

  @BeforeAll
  static void start() throws Exception {
    pipeline = LivePipeline.start(tmp, 1, EstimatorSettings.defaults().engine().withBudget(Duration.ofSeconds(2)), 40);
  }

  @AfterAll
  static void stop() throws Exception {
    if (pipeline != null) {
      pipeline.close();
    }
  }

  @Test
  void kcatPublishedOnnxSnapshotIsEstimatedAndShownOnMetrics() throws Exception {
    // a probe set in the CNN's input shape [2, 6, 6], 3 classes
    SplittableRandom r = new SplittableRandom(5);
    int n = 40;
    byte[] codes = new byte[n * 72];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = (byte) r.nextInt(256);
    }
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(3);
    }
    ProbeSetPublisher.publish(pipeline.kafka, new ProbeSet("onnx-probes", List.of(2, 6, 6), 3, 0, 1, labels, codes, null));

    byte[] model = OnnxFixtures.load("cnn_res_o13").model();
    Path good = tmp.resolve("model.onnx");
    Files.write(good, model);
    Map<String, String> h = new HashMap<>(TestModels.headers("onnx-model", 1, model));
    h.put(SnapshotHeaders.FORMAT, "onnx");
    h.put(SnapshotHeaders.DATASET, "onnx-probes");
    // an operator the engine has no exact form for: refused by name
    onnx.OnnxMl.ModelProto.Builder bad = onnx.OnnxMl.ModelProto.parseFrom(model).toBuilder();
    bad.getGraphBuilder().getNodeBuilder(0).setOpType("Einsum");
    byte[] badBytes = bad.build().toByteArray();
    Path badFile = tmp.resolve("bad.onnx");
    Files.write(badFile, badBytes);
    Map<String, String> hb = new HashMap<>(TestModels.headers("onnx-model", 2, badBytes));
    hb.put(SnapshotHeaders.FORMAT, "onnx");

    EndToEndIT.kcatProduce(pipeline.broker.bootstrapServers(), "onnx-model", good, h);
    EndToEndIT.kcatProduce(pipeline.broker.bootstrapServers(), "onnx-model", badFile, hb);

    var estimates = consume(Topics.ESTIMATES.name(), Topics.ESTIMATES.valueSerde().deserializer(), 1);
    assertEquals(1, estimates.size());
    Estimate e = estimates.get(0).value();
    assertEquals("ONNX", e.architecture().kind());
    assertEquals(List.of(2L, 6L, 6L), e.architecture().inputShape().stream().map(Number::longValue).toList());
    assertTrue(Double.isFinite(e.lipschitz().bestUpper()), e.toString());
    assertEquals("onnx-probes", e.probes().dataset());
    assertTrue(e.probes().attacks().stream().anyMatch(a -> a.attack().equals("pgd")), "attacks ran on the ONNX model: " + e.warnings());

    var dlq = consume(Topics.SNAPSHOTS_DLQ.name(), Topics.SNAPSHOTS_DLQ.valueSerde().deserializer(), 1);
    assertEquals(1, dlq.size());
    DlqRecord d = dlq.get(0).value();
    assertEquals("unsupported-op", d.reason());
    assertTrue(d.detail().contains("Einsum"), d.detail());

    EndToEndIT.await("the ONNX model on /metrics", Duration.ofSeconds(60),
        () -> metrics().contains("lipwatch_lipschitz_best_upper_bound{model=\"onnx-model\"}"));
    String m = metrics();
    assertTrue(m.contains("lipwatch_snapshots_rejected_total{model=\"onnx-model\",reason=\"unsupported-op\"} 1.0"), m);
  }

  static <V> List<org.apache.kafka.clients.consumer.ConsumerRecord<String, V>> consume(String topic,
      org.apache.kafka.common.serialization.Deserializer<V> d, int atLeast) {
    Map<String, Object> props = new HashMap<>(pipeline.kafka.toMap());
    props.put(org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_ID_CONFIG, "it-onnx-" + topic + "-" + System.nanoTime());
    props.put(org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<org.apache.kafka.clients.consumer.ConsumerRecord<String, V>> out = new java.util.ArrayList<>();
    try (var c = new org.apache.kafka.clients.consumer.KafkaConsumer<>(props, Topics.ESTIMATES.keySerde().deserializer(), d)) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
      while (out.size() < atLeast && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(500)).forEach(out::add);
      }
    }
    return out;
  }

  static String metrics() {
    try {
      return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + pipeline.monitor.httpPort() + "/metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    } catch (Exception ex) {
      return "";
    }
  }
}
