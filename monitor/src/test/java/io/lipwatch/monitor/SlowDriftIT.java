package io.lipwatch.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.estimator.stream.TopicAdmin;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.estimator.testing.Required;
import io.lipwatch.broker.EmbeddedBroker;
import io.lipwatch.monitor.stream.MonitorService;
import io.lipwatch.monitor.verdict.DriftEstimates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20's slide through real parts: ten estimates of one model, each ×1.06 in bestUpper and −1.5 points in every
 * robust accuracy against the one before, produced by kcat (a third-party client, one JSON record per line) into
 * lipwatch.estimates of a KRaft broker; a running monitor judges them. Verdicts are read back from lipwatch.verdicts,
 * the drift ratio from /metrics and the reference from the versions API.
 */
class SlowDriftIT {
  @TempDir
  static Path tmp;
  static EmbeddedBroker broker;
  static MonitorService monitor;
  static KafkaConnection kafka;

  @BeforeAll
  static void start() throws Exception {
    Required.tool("kcat", "kcat");
    broker = EmbeddedBroker.start(0, null);
    kafka = KafkaConnection.of(broker.bootstrapServers());
    TopicAdmin.ensureTopics(kafka.toMap(), 2, (short) 1);
    monitor = new MonitorService(kafka, tmp.resolve("monitor"), "127.0.0.1", 0, null);
    monitor.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (monitor != null) {
      monitor.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  /** kcat -P reading stdin: one message per line, all with the model as key (so one partition, in order). */
  static void kcatProduceLines(String topic, String key, List<String> lines) throws Exception {
    Process p = new ProcessBuilder("kcat", "-P", "-b", broker.bootstrapServers(), "-t", topic, "-k", key)
        .redirectErrorStream(true).start();
    p.getOutputStream().write((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kcat did not finish");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), "kcat failed: " + out);
  }

  static List<Verdict> verdicts(int atLeast) {
    Map<String, Object> props = new HashMap<>(kafka.toMap());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-verdicts-" + System.nanoTime());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<Verdict> out = new ArrayList<>();
    try (KafkaConsumer<String, Verdict> c = new KafkaConsumer<>(props, Topics.VERDICTS.keySerde().deserializer(),
        Topics.VERDICTS.valueSerde().deserializer())) {
      c.subscribe(List.of(Topics.VERDICTS.name()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (out.size() < atLeast && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(500)).forEach(r -> out.add(r.value()));
      }
    }
    return out;
  }

  static String get(String path) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + monitor.httpPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  @Test
  void kcatProducedSlideIsCaughtWarnByV5FailByV8() throws Exception {
    List<String> lines = new ArrayList<>();
    for (Estimate e : DriftEstimates.slide("slider", 10)) {
      lines.add(new String(Topics.ESTIMATES.valueSerde().serializer().serialize(Topics.ESTIMATES.name(), e), StandardCharsets.UTF_8));
    }
    assertTrue(lines.stream().noneMatch(l -> l.contains("\n")), "one JSON record per line");
    kcatProduceLines(Topics.ESTIMATES.name(), "slider", lines);

    List<Verdict> v = verdicts(10);
    assertEquals(10, v.size(), v.toString());
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), v.stream().map(Verdict::version).toList());
    List<String> verdicts = v.stream().map(x -> x.verdict().name()).toList();
    assertEquals(List.of("PASS", "PASS", "PASS", "PASS", "WARN", "WARN", "FAIL", "FAIL", "FAIL", "FAIL"), verdicts);
    assertEquals(1L, v.get(9).referenceVersion());
    assertEquals("best-pass", v.get(9).referenceKind());

    String metrics = get("/metrics");
    assertTrue(metrics.contains("lipwatch_reference_ratio{metric=\"best_upper\",model=\"slider\"} 1.689"), metrics);
    assertTrue(metrics.contains("lipwatch_verdict{model=\"slider\"} 2.0"), metrics);
    String versions = get("/api/models/slider/versions");
    assertTrue(versions.contains("\"referenceVersion\":1") && versions.contains("\"referenceKind\":\"best-pass\"")
        && versions.contains("reference-best-upper-growth"), versions);
  }
}
