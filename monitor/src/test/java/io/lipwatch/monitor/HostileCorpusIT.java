package io.lipwatch.monitor;

import io.lipwatch.estimator.estimate.Verdict;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.snapshot.SnapshotHeaders;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.stream.DlqRecord;
import io.lipwatch.estimator.stream.EstimatorService;
import io.lipwatch.estimator.stream.EstimatorSettings;
import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.estimator.stream.TopicAdmin;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.estimator.testing.HostileSnapshots;
import io.lipwatch.estimator.testing.TestModels;
import io.lipwatch.broker.EmbeddedBroker;
import io.lipwatch.monitor.stream.MonitorService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;

/**
 * A slice of the hostile-snapshot corpus through the real broker, produced by kcat (a third-party client) onto three
 * partitions shared by two estimator instances: exactly one outcome per record, both streams running throughout, no
 * NaN on /metrics. Then one instance dies and the other takes over its partitions within 15 s.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class HostileCorpusIT {
  static final int CASES = 48;
  static final String RUN = "lipwatch.run-id";

  @TempDir
  static Path tmp;
  static EmbeddedBroker broker;
  static KafkaConnection kafka;
  static MonitorService monitor;
  static EstimatorService a;
  static EstimatorService b;
  static final Set<String> leftRunning = ConcurrentHashMap.newKeySet();

  @BeforeAll
  static void start() throws Exception {
    broker = EmbeddedBroker.start(0, null);
    kafka = KafkaConnection.of(broker.bootstrapServers());
    TopicAdmin.ensureTopics(kafka.toMap(), 3, (short) 1);
    monitor = new MonitorService(kafka, tmp.resolve("monitor"), "127.0.0.1", 0, null);
    monitor.start();
    a = estimator("a");
    b = estimator("b");
    await("both estimators own partitions", Duration.ofSeconds(60), () -> owns(a) && owns(b));
  }

  static EstimatorService estimator(String name) {
    EngineConfig engine = EngineConfig.defaults().withBudget(Duration.ofSeconds(1))
        .withMethods(Set.of("autolip", "autolip-power", "seqlip", "gram", "gradient-norm", "clip-pairs"));
    EstimatorService s = new EstimatorService(kafka, new EstimatorSettings(SnapshotLimits.defaults(), engine, null, null, null),
        tmp.resolve("estimator-" + name), monitor.registry());
    s.streams().setStateListener((now, before) -> {
      if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.PENDING_ERROR) {
        leftRunning.add(name + ": " + before + " -> " + now);
      }
    });
    s.start();
    return s;
  }

  static boolean owns(EstimatorService s) {
    return s.streamsState() == KafkaStreams.State.RUNNING
        && s.streams().metadataForLocalThreads().stream().anyMatch(t -> !t.activeTasks().isEmpty());
  }

  @AfterAll
  static void stop() throws Exception {
    if (quick != null) {
      quick.close();
    }
    for (AutoCloseable c : new AutoCloseable[] {b, a, monitor, broker}) {
      if (c != null) {
        c.close();
      }
    }
  }

  @Test
  @org.junit.jupiter.api.Order(1)
  void corpusByKcatGetsExactlyOneOutcomePerRecordAndTheStreamsKeepRunning() throws Exception {
    HostileSnapshots corpus = new HostileSnapshots(7);
    Map<String, String> expected = new LinkedHashMap<>();
    for (int i = 0; i < CASES; i++) {
      HostileSnapshots.Case c = corpus.next(i);
      Map<String, String> h = new LinkedHashMap<>(c.headers());
      h.put(RUN, "case-" + i); // correlates the outcome with the record
      Path f = tmp.resolve("case-" + i);
      Files.write(f, c.value());
      EndToEndIT.kcatProduce(broker.bootstrapServers(), c.key(), f, h);
      expected.put("case-" + i, c.kind() + "/" + c.expect());
    }
    Map<String, List<String>> outcomes = new HashMap<>();
    collect(outcomes, CASES);
    for (Map.Entry<String, String> e : expected.entrySet()) {
      List<String> got = outcomes.getOrDefault(e.getKey(), List.of());
      assertEquals(1, got.size(), e.getKey() + " (" + e.getValue() + "): " + got);
      if (e.getValue().endsWith("/ESTIMATE")) {
        assertEquals("estimate", got.get(0), e.getKey() + " " + e.getValue());
      } else if (e.getValue().endsWith("/DLQ")) {
        assertTrue(got.get(0).startsWith("dlq:"), e.getKey() + " " + e.getValue() + ": " + got);
      }
    }
    assertEquals(Set.of(), leftRunning, "no stream thread stopped");
    assertEquals(KafkaStreams.State.RUNNING, a.streamsState());
    assertEquals(KafkaStreams.State.RUNNING, b.streamsState());
    await("rejections on /metrics", Duration.ofSeconds(30), () -> metrics().contains("lipwatch_snapshots_rejected_total"));
    for (String line : metrics().split("\n")) {
      if (line.startsWith("lipwatch_")) {
        String value = line.substring(line.lastIndexOf(' ') + 1);
        assertTrue(Double.isFinite(Double.parseDouble(value)), line);
      }
    }
  }

  /**
   * The run diverges: v2's weights are NaN (the float tail of coefficients.bin overwritten with 0xFF, published by kcat
   * with correct headers). v2 is a DLQ record with reason non-finite-weights and a FAIL verdict with check
   * {@code rejected}, so a CD gate stops it; v3, a good snapshot behind it, is still estimated.
   */
  @Test
  @org.junit.jupiter.api.Order(0)
  void divergedVersionIsAFailVerdictAndTheNextIsStillEstimated() throws Exception {
    String model = "diverging";
    byte[] good = TestModels.zip(TestModels.mlp(4, Activation.RELU, 6, 5, 3));
    byte[] coef = HostileSnapshots.entry(good, "coefficients.bin").clone();
    java.util.Arrays.fill(coef, coef.length - 40, coef.length, (byte) 0xff);
    byte[] nan = HostileSnapshots.replaceEntry(good, "coefficients.bin", coef);
    byte[][] versions = {good, nan, good};
    for (int v = 1; v <= 3; v++) {
      Path f = tmp.resolve(model + "-" + v);
      Files.write(f, versions[v - 1]);
      EndToEndIT.kcatProduce(broker.bootstrapServers(), model, f, TestModels.headers(model, v, versions[v - 1]));
    }
    Map<Long, io.lipwatch.estimator.estimate.Verdict> verdicts = new ConcurrentHashMap<>();
    Map<String, Object> props = new HashMap<>(kafka.toMap());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-verdicts-" + System.nanoTime());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, io.lipwatch.estimator.estimate.Verdict> c = new KafkaConsumer<>(props,
        Topics.VERDICTS.keySerde().deserializer(), Topics.VERDICTS.valueSerde().deserializer())) {
      c.subscribe(List.of(Topics.VERDICTS.name()));
      await("verdicts for v1..v3", Duration.ofSeconds(90), () -> {
        for (var r : c.poll(Duration.ofMillis(300))) {
          if (model.equals(r.key())) {
            verdicts.put(r.value().version(), r.value());
          }
        }
        return verdicts.keySet().containsAll(List.of(1L, 2L, 3L));
      });
    }
    var v2 = verdicts.get(2L);
    assertEquals(Verdict.FAIL, v2.verdict(), v2.toString());
    assertTrue(v2.checks().stream().anyMatch(ch -> "rejected".equals(ch.name()) && "non-finite-weights".equals(ch.reason())), v2.toString());
    assertEquals(Verdict.PASS, verdicts.get(3L).verdict(), "v3 is judged against v1, the last PASS: " + verdicts.get(3L));
    await("the rejection on /metrics", Duration.ofSeconds(30), () -> metrics().contains(
        "lipwatch_snapshots_rejected_total{model=\"diverging\",reason=\"non-finite-weights\"} 1.0"));
  }

  /** Estimates (by run id in provenance) and DLQ records (by run id header) until {@code n} distinct outcomes. */
  static void collect(Map<String, List<String>> outcomes, int n) {
    Map<String, Object> props = new HashMap<>(kafka.toMap());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-hostile-" + System.nanoTime());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, Topics.ESTIMATES.keySerde().deserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      c.subscribe(List.of(Topics.ESTIMATES.name(), Topics.SNAPSHOTS_DLQ.name()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
      int total = 0;
      // read a little past n so a doubled outcome would be seen
      long quietUntil = Long.MAX_VALUE;
      while (System.nanoTime() < deadline && System.nanoTime() < quietUntil) {
        for (var r : c.poll(Duration.ofMillis(500))) {
          String run;
          String what;
          if (r.topic().equals(Topics.ESTIMATES.name())) {
            Estimate e = Topics.ESTIMATES.valueSerde().deserializer().deserialize(r.topic(), r.value());
            run = e.provenance() == null ? null : e.provenance().runId();
            what = "estimate";
          } else {
            DlqRecord d = Topics.SNAPSHOTS_DLQ.valueSerde().deserializer().deserialize(r.topic(), r.value());
            run = d.headers() == null ? null : d.headers().get(RUN);
            what = "dlq:" + d.reason();
          }
          outcomes.computeIfAbsent(String.valueOf(run), k -> new ArrayList<>()).add(what);
          total++;
        }
        if (total >= n && quietUntil == Long.MAX_VALUE) {
          quietUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        }
      }
    }
  }

  /**
   * Kafka Streams does not leave the group on close, so closing an instance is what its death looks like to the
   * group: its partitions are blocked until the session timeout, then move to the survivor.
   */
  @Test
  @org.junit.jupiter.api.Order(2)
  void survivorTakesOverADeadInstancesPartitionsWithin15Seconds() throws Exception {
    // keys that land on each of the three partitions
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < 3; i++) {
      String k = "takeover-" + i;
      int p = Utils.toPositive(Utils.murmur2(k.getBytes())) % 3;
      if (keys.stream().noneMatch(x -> Utils.toPositive(Utils.murmur2(x.getBytes())) % 3 == p)) {
        keys.add(k);
      }
    }
    EstimatorService dead = a;
    a = null;
    dead.close();
    long t0 = System.nanoTime();
    byte[] zip = TestModels.zip(TestModels.mlp(2, Activation.RELU, 5, 4, 3));
    Path f = tmp.resolve("takeover.zip");
    Files.write(f, zip);
    for (String k : keys) {
      Map<String, String> h = new LinkedHashMap<>(TestModels.headers(k, 1, zip));
      h.put(RUN, k);
      EndToEndIT.kcatProduce(broker.bootstrapServers(), k, f, h);
    }
    Map<String, List<String>> outcomes = new ConcurrentHashMap<>();
    await("every partition served again", Duration.ofSeconds(60), () -> {
      collectQuick(outcomes);
      return keys.stream().allMatch(outcomes::containsKey);
    });
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("takeover: all three partitions served %.1f s after the instance died%n", seconds);
    assertTrue(seconds <= 15.0, "takeover took " + seconds + " s");
  }

  private static KafkaConsumer<String, Estimate> quick;

  static void collectQuick(Map<String, List<String>> outcomes) {
    if (quick == null) {
      Map<String, Object> props = new HashMap<>(kafka.toMap());
      props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-takeover-" + System.nanoTime());
      props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      quick = new KafkaConsumer<>(props, Topics.ESTIMATES.keySerde().deserializer(), Topics.ESTIMATES.valueSerde().deserializer());
      quick.subscribe(List.of(Topics.ESTIMATES.name()));
    }
    for (var r : quick.poll(Duration.ofMillis(200))) {
      if (r.value().provenance() != null && r.value().provenance().runId() != null) {
        outcomes.computeIfAbsent(r.value().provenance().runId(), k -> new ArrayList<>()).add("estimate");
      }
    }
  }

  static String metrics() {
    try {
      return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + monitor.httpPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (Exception e) {
      return "";
    }
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      TimeUnit.MILLISECONDS.sleep(100);
    }
  }
}
