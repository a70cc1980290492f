package io.lipwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.metrics.MeterNames;
import io.lipwatch.estimator.snapshot.SnapshotHeaders;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotPublisher;
import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.estimator.stream.TopicAdmin;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.broker.EmbeddedBroker;
import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.loop.RetrainingLoop;
import io.lipwatch.trainer.loop.TrainerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The retraining loop survives a broker restart: a KRaft broker on a fixed port with a kept data directory is stopped
 * while the trainer keeps publishing, at least one publish fails while it is down, the broker comes back on the same
 * port and directory, and every version 1..N reaches {@code lipwatch.snapshots} exactly once and in order for a
 * read_committed consumer. Waits on the loop's counters, never on sleeps.
 */
class BrokerRestartIT {
  static final String MODEL = "restart-it";

  @TempDir
  Path tmp;

  @Test
  void everyVersionArrivesOnceAndInOrderAcrossABrokerRestart() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path dir = tmp.resolve("kafka");
    EmbeddedBroker broker = EmbeddedBroker.start(port, dir);
    RetrainingLoop loop = null;
    Thread trainer = null;
    SnapshotPublisher publisher = null;
    try {
      // short client timeouts: a publish while the broker is away fails in seconds and the loop trains on
      KafkaConnection kafka = new KafkaConnection(broker.bootstrapServers(), Map.of(
          "max.block.ms", "3000", "delivery.timeout.ms", "5000", "request.timeout.ms", "2000",
          "reconnect.backoff.max.ms", "500"));
      TopicAdmin.ensureTopics(KafkaConnection.of(broker.bootstrapServers()).toMap(), 1, (short) 1);
      publisher = new SnapshotPublisher(kafka, SnapshotLimits.defaults(), null, null);
      TrainerConfig cfg = new TrainerConfig(MODEL, Datasets.FASHION_MNIST, "fashion-mnist", new int[] {16}, "relu", 64,
          1e-3, 1, 0, Duration.ofMillis(200), 256, 50, 3L);
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      RetrainingLoop l = new RetrainingLoop(cfg, kafka, publisher, registry);
      loop = l;
      AtomicReference<Throwable> crashed = new AtomicReference<>();
      trainer = new Thread(() -> {
        try {
          l.run();
        } catch (Throwable t) {
          crashed.set(t);
        }
      }, "restart-it-trainer");
      trainer.start();

      await("two snapshots published", Duration.ofSeconds(120), () -> l.publishedSnapshots() >= 2, crashed);
      broker.close();
      broker = null;
      await("a publish failing while the broker is down", Duration.ofSeconds(120), () -> l.failedPublishes() >= 1, crashed);
      long publishedWhileDown = l.publishedSnapshots();

      broker = EmbeddedBroker.start(port, dir);
      assertEquals("localhost:" + port, broker.bootstrapServers());
      await("three more snapshots after the restart", Duration.ofSeconds(180),
          () -> l.publishedSnapshots() >= publishedWhileDown + 3, crashed);
      l.stop();
      trainer.join(120_000);
      assertFalse(trainer.isAlive(), "the trainer stops");
      assertEquals(null, crashed.get(), "the trainer did not crash");

      long n = l.publishedSnapshots();
      assertEquals(n, (long) registry.get(MeterNames.TRAINER_SNAPSHOTS).counter().count(), "trainer_snapshots meter");
      assertTrue(registry.get(MeterNames.TRAINER_PUBLISH_FAILURES).counter().count() >= 1, "failures are counted");
      assertTrue(publisher.producersCreated() >= 2, "the failed transactional producer was replaced");

      List<Long> versions = consumeVersions(broker.bootstrapServers(), n);
      List<Long> expected = LongStream.rangeClosed(1, n).boxed().toList();
      assertEquals(expected, versions, "versions on " + Topics.SNAPSHOTS.name() + " (read_committed)");
    } finally {
      if (loop != null) {
        loop.stop();
      }
      if (trainer != null) {
        trainer.join(60_000);
      }
      if (publisher != null) {
        publisher.close();
      }
      if (broker != null) {
        broker.close();
      }
    }
  }

  /** Every committed record of the model, to the end of the topic (read_committed: up to the last stable offset). */
  static List<Long> consumeVersions(String bootstrap, long atLeast) throws InterruptedException {
    Map<String, Object> p = new HashMap<>();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.SNAPSHOT_MAX_MESSAGE_BYTES);
    List<Long> versions = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(Topics.SNAPSHOTS.name(), Duration.ofSeconds(60)).stream()
          .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
          if (MODEL.equals(r.key())) {
            Header h = r.headers().lastHeader(SnapshotHeaders.VERSION);
            versions.add(Long.parseLong(new String(h.value(), StandardCharsets.UTF_8)));
          }
        }
        // done once every partition is read to its end (the last stable offset) and enough arrived
        Map<TopicPartition, Long> end = c.endOffsets(parts, Duration.ofSeconds(30));
        boolean atEnd = parts.stream().allMatch(tp -> c.position(tp) >= end.get(tp));
        if (atEnd && versions.size() >= atLeast) {
          break;
        }
      }
    }
    return versions;
  }

  static void await(String what, Duration timeout, BooleanSupplier condition, AtomicReference<Throwable> crashed)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Object lock = new Object();
    while (!condition.getAsBoolean()) {
      if (crashed.get() != null) {
        throw new AssertionError("trainer crashed while waiting for " + what, crashed.get());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      synchronized (lock) {
        lock.wait(100);
      }
    }
  }
}
