package io.lipwatch.estimator.snapshot;

import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.estimator.stream.Topics;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.time.Duration;
import java.util.UUID;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InterruptException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Publishes model snapshots to {@code lipwatch.snapshots}: the zip inline up to the inline limit, otherwise into the
 * snapshot store with a claim check as the value. acks=all, one transaction per snapshot, so that a read_committed
 * consumer (the estimator's exactly-once stream) sees each published snapshot exactly once even when a publish fails
 * half way (broker down or restarting) and is retried:
 * <ul>
 *   <li>a failed send aborts the attempt: the producer is closed and a new one with the same transactional id is
 *       created at the next publish, whose {@code initTransactions} fences the old one and aborts its open transaction,
 *       so the record of the failed attempt is never visible;</li>
 *   <li>a commit that timed out has an unknown outcome: it is retried first, on the same producer (as Kafka documents),
 *       instead of sending the record again;</li>
 *   <li>no call blocks for long while the broker is away: {@code max.block.ms} 30 s, {@code delivery.timeout.ms} 60 s
 *       by default (the client properties may set other values).</li>
 * </ul>
 * The transactional id is {@code transactional.id} from the client properties, or {@code lipwatch-snapshots-<random>}.
 * Thread-safe.
 */
public final class SnapshotPublisher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotPublisher.class);
  private static final int DEFAULT_MAX_BLOCK_MS = 30_000;
  private static final int DEFAULT_DELIVERY_TIMEOUT_MS = 60_000;

  private final Map<String, Object> config;
  private final long deliveryTimeoutMs;
  private final SnapshotLimits limits;
  private final SnapshotStore store;
  private final SnapshotSignature signature;
  private volatile KafkaProducer<String, byte[]> producer;
  private InDoubt inDoubt;
  private long producersCreated;
  private volatile boolean closed;

  /** A snapshot whose commit timed out: committed or not, only a retried commit can tell. */
  private record InDoubt(String model, long version, String sha256, RecordMetadata sent) {}

  public SnapshotPublisher(KafkaConnection kafka, SnapshotLimits limits, SnapshotStore store, SnapshotSignature signature) {
    Map<String, Object> p = new HashMap<>(kafka.toMap());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.SNAPSHOT_MAX_MESSAGE_BYTES);
    p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, DEFAULT_MAX_BLOCK_MS);
    p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, DEFAULT_DELIVERY_TIMEOUT_MS);
    p.putIfAbsent(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "lipwatch-snapshots-" + UUID.randomUUID());
    this.config = p;
    this.deliveryTimeoutMs = Long.parseLong(String.valueOf(p.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)));
    this.limits = limits;
    this.store = store;
    this.signature = signature;
  }

  /**
   * Publishes one snapshot and waits until its transaction is committed.
   *
   * @param meta metadata; its sha256 must be that of {@code zip}
   * @throws IOException when Kafka is unreachable or refuses the snapshot; publishing the same snapshot again later is
   *                     safe (it becomes visible once)
   */
  public synchronized RecordMetadata publish(SnapshotMetadata meta, byte[] zip) throws IOException, InterruptedException {
    return publish(meta, zip, java.util.Map.of());
  }

  /** The same with extra {@code lipwatch.*} headers that are not metadata (e.g. the trainer's CLIP estimate). */
  public synchronized RecordMetadata publish(SnapshotMetadata meta, byte[] zip, java.util.Map<String, String> extra)
      throws IOException, InterruptedException {
    if (closed) {
      throw new IllegalStateException("publisher closed");
    }
    if (!Sha256.hex(zip).equals(meta.sha256())) {
      throw new IllegalArgumentException("metadata sha256 does not match the zip");
    }
    if (inDoubt != null) {
      InDoubt d = inDoubt;
      retryCommit();
      if (d.model().equals(meta.model()) && d.version() == meta.version() && d.sha256().equals(meta.sha256())) {
        return d.sent(); // the snapshot of the timed-out commit: committed now, not sent twice
      }
    }
    byte[] value = zip;
    SnapshotMetadata m = meta;
    if (zip.length > limits.inlineBytes()) {
      if (store == null) {
        throw new IOException("snapshot is " + zip.length + " bytes, above the inline limit of " + limits.inlineBytes()
            + " bytes, and no snapshot store is configured (--snapshot-store DIR)");
      }
      value = store.put(meta.model(), meta.version(), zip).toJson();
      m = meta.withClaimCheck(true);
    }
    ProducerRecord<String, byte[]> rec = new ProducerRecord<>(Topics.SNAPSHOTS.name(), m.model(), value);
    SnapshotHeaders.write(m, rec.headers());
    extra.forEach((k, v) -> rec.headers().add(k, v.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    if (signature != null) {
      rec.headers().add(SnapshotHeaders.SIGNATURE, signature.sign(zip).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }
    String what = m.model() + " v" + m.version();
    KafkaProducer<String, byte[]> p = producer(what);
    if (closed) {
      discard();
      throw new IllegalStateException("publisher closed");
    }
    RecordMetadata sent;
    try {
      p.beginTransaction();
      sent = p.send(rec).get(deliveryTimeoutMs + 10_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      discard();
      throw new IOException("Kafka refused the snapshot of " + what + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      discard();
      throw new IOException("no acknowledgement from Kafka for " + what + " within " + (deliveryTimeoutMs + 10_000) + " ms", e);
    } catch (KafkaException e) {
      discard();
      throw new IOException("could not send the snapshot of " + what + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      discard();
      throw e;
    }
    try {
      p.commitTransaction();
    } catch (org.apache.kafka.common.errors.TimeoutException | InterruptException e) {
      inDoubt = new InDoubt(meta.model(), meta.version(), meta.sha256(), sent);
      throw new IOException("commit of " + what + " not acknowledged (" + e.getMessage() + "); retried at the next publish", e);
    } catch (KafkaException e) {
      discard();
      throw new IOException("could not commit the snapshot of " + what + ": " + e.getMessage(), e);
    }
    return sent;
  }

  /** Number of producers created so far (a failed attempt replaces its producer). */
  public synchronized long producersCreated() {
    return producersCreated;
  }

  private void retryCommit() throws IOException {
    InDoubt d = inDoubt;
    try {
      producer.commitTransaction();
      inDoubt = null;
    } catch (org.apache.kafka.common.errors.TimeoutException | InterruptException e) {
      throw new IOException("commit of " + d.model() + " v" + d.version() + " still not acknowledged: " + e.getMessage(), e);
    } catch (KafkaException e) {
      // the producer cannot finish it: a new one's initTransactions completes or aborts it, we cannot tell which
      LOG.warn("commit of {} v{} failed after a timeout ({}); if the broker had it, sending again duplicates it",
          d.model(), d.version(), e.getMessage());
      inDoubt = null;
      discard();
    }
  }

  private KafkaProducer<String, byte[]> producer(String what) throws IOException {
    if (producer == null) {
      KafkaProducer<String, byte[]> p = new KafkaProducer<>(config,
          io.lipwatch.estimator.stream.Topics.SNAPSHOTS.keySerde().serializer(), io.lipwatch.estimator.stream.Topics.SNAPSHOTS.valueSerde().serializer());
      producersCreated++;
      try {
        // fences an earlier producer with this id and aborts its open transaction
        p.initTransactions();
      } catch (KafkaException e) {
        p.close(Duration.ZERO);
        throw new IOException("cannot start a Kafka transaction for " + what + ": " + e.getMessage(), e);
      }
      producer = p;
    }
    return producer;
  }

  /** Drops a producer whose transaction failed; the next publish creates a new one. */
  private void discard() {
    if (producer != null) {
      try {
        producer.close(Duration.ZERO);
      } catch (RuntimeException e) {
        LOG.debug("closing a failed producer: {}", e.getMessage());
      }
      producer = null;
    }
  }

  /** Not under the publish lock: closing while a publish waits for an absent broker makes that publish fail now. */
  @Override
  public void close() {
    closed = true;
    KafkaProducer<String, byte[]> p = producer;
    if (p != null) {
      p.close(Duration.ofSeconds(10));
    }
  }
}
