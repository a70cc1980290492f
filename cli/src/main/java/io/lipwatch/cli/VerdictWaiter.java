package io.lipwatch.cli;

import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.estimator.snapshot.SnapshotHeaders;
import io.lipwatch.estimator.stream.DlqRecord;
import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.estimator.stream.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Waits for what the pipeline decided about one model version: its record on lipwatch.verdicts, or the estimator's
 * rejection on lipwatch.snapshots.dlq. Reads read_committed (the streams write exactly-once), without a consumer group
 * (nothing to commit, no rebalance to wait for), every partition of both topics.
 *
 * <p>Where it starts: {@link #mark()} before publishing, so only records written after it count (an earlier verdict of
 * the same version number is not this snapshot's); without a mark, from the beginning of both topics, and once it has
 * caught up the latest matching record decides.
 */
final class VerdictWaiter implements AutoCloseable {
  /** The outcome: a verdict, or a DLQ record, or nothing before the deadline. */
  record Outcome(Verdict verdict, DlqRecord rejection) {
    boolean timedOut() {
      return verdict == null && rejection == null;
    }
  }

  private final KafkaConsumer<String, byte[]> consumer;
  private final String model;
  private final long version;
  private final List<TopicPartition> partitions = new ArrayList<>();
  private Map<TopicPartition, Long> start;

  VerdictWaiter(KafkaConnection kafka, String model, long version) {
    this.model = model;
    this.version = version;
    Map<String, Object> props = new HashMap<>(kafka.toMap());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "lipwatch-gate");
    consumer = new KafkaConsumer<>(props, Topics.VERDICTS.keySerde().deserializer(), new ByteArrayDeserializer());
  }

  /** Remembers the current end of both topics: only records written after this call are considered. */
  void mark(Duration timeout) {
    start = consumer.endOffsets(partitions(timeout), timeout);
  }

  /** The latest verdict or rejection of the version; an empty outcome when none arrived within {@code timeout}. */
  Outcome await(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<TopicPartition> all = partitions(timeout);
    consumer.assign(all);
    if (start != null) {
      start.forEach(consumer::seek);
    } else {
      consumer.seekToBeginning(all);
    }
    // with history to read: the end as it was now; a match up to there is only provisional (a later one may replace it)
    Map<TopicPartition, Long> caughtUpAt = start != null ? Map.of() : consumer.endOffsets(all, timeout);
    ConsumerRecord<String, byte[]> latest = null;
    while (System.nanoTime() < deadline) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(250))) {
        if (matches(r) && (latest == null || r.timestamp() >= latest.timestamp())) {
          latest = r;
        }
      }
      if (latest != null && caughtUp(caughtUpAt)) {
        return outcome(latest);
      }
    }
    return new Outcome(null, null);
  }

  private boolean caughtUp(Map<TopicPartition, Long> ends) {
    for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private List<TopicPartition> partitions(Duration timeout) {
    if (partitions.isEmpty()) {
      for (String topic : List.of(Topics.VERDICTS.name(), Topics.SNAPSHOTS_DLQ.name())) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
        if (infos == null || infos.isEmpty()) {
          throw new IllegalStateException("topic " + topic + " not found: is this the lipwatch cluster (lipwatch topics --create)?");
        }
        infos.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
      }
    }
    return partitions;
  }

  private boolean matches(ConsumerRecord<String, byte[]> r) {
    try {
      if (r.topic().equals(Topics.VERDICTS.name())) {
        Verdict v = verdict(r);
        return v != null && model.equals(v.model()) && v.version() == version;
      }
      DlqRecord d = rejection(r);
      if (d == null || d.headers() == null) {
        return false;
      }
      String m = d.model() != null ? d.model() : d.headers().get(SnapshotHeaders.MODEL);
      return model.equals(m) && Objects.equals(Long.toString(version), trim(d.headers().get(SnapshotHeaders.VERSION)));
    } catch (RuntimeException e) {
      return false; // a record that is not ours to read (another schema, garbage) decides nothing
    }
  }

  private Outcome outcome(ConsumerRecord<String, byte[]> r) {
    return r.topic().equals(Topics.VERDICTS.name()) ? new Outcome(verdict(r), null) : new Outcome(null, rejection(r));
  }

  private static Verdict verdict(ConsumerRecord<String, byte[]> r) {
    return r.value() == null ? null : Topics.VERDICTS.valueSerde().deserializer().deserialize(r.topic(), r.value());
  }

  private static DlqRecord rejection(ConsumerRecord<String, byte[]> r) {
    return r.value() == null ? null : Topics.SNAPSHOTS_DLQ.valueSerde().deserializer().deserialize(r.topic(), r.value());
  }

  private static String trim(String s) {
    return s == null ? null : s.trim();
  }

  @Override
  public void close() {
    consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
  }
}
