package io.lipwatch.estimator.snapshot;

import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.estimator.stream.Topics;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes model snapshots to {@code lipwatch.snapshots}: the zip inline up to the inline limit, otherwise into the
 * snapshot store with a claim check as the value. Idempotent producer, acks=all.
 */
public final class SnapshotPublisher implements AutoCloseable {
  private final KafkaProducer<String, byte[]> producer;
  private final SnapshotLimits limits;
  private final SnapshotStore store;
  private final SnapshotSignature signature;

  public SnapshotPublisher(KafkaConnection kafka, SnapshotLimits limits, SnapshotStore store, SnapshotSignature signature) {
    Map<String, Object> p = new HashMap<>(kafka.toMap());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.SNAPSHOT_MAX_MESSAGE_BYTES);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000);
    this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    this.limits = limits;
    this.store = store;
    this.signature = signature;
  }

  /**
   * Publishes one snapshot and waits for the broker's acknowledgement.
   *
   * @param meta metadata; its sha256 must be that of {@code zip}
   */
  public RecordMetadata publish(SnapshotMetadata meta, byte[] zip) throws IOException, InterruptedException {
    if (!Sha256.hex(zip).equals(meta.sha256())) {
      throw new IllegalArgumentException("metadata sha256 does not match the zip");
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
    if (signature != null) {
      rec.headers().add(SnapshotHeaders.SIGNATURE, signature.sign(zip).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }
    try {
      return producer.send(rec).get(150, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IOException("Kafka refused the snapshot of " + m.model() + " v" + m.version() + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("no acknowledgement from Kafka for " + m.model() + " v" + m.version() + " within 150 s", e);
    }
  }

  @Override
  public void close() {
    producer.close(java.time.Duration.ofSeconds(10));
  }
}
