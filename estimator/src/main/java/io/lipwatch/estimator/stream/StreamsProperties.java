package io.lipwatch.estimator.stream;

import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;

/**
 * The Kafka Streams settings every lipwatch service shares, built in one place: connection (bootstrap and the
 * client-config file: SASL, TLS), application id, state directory, undecodable records logged and skipped, and a
 * consumer-group session timeout short enough that a dead instance's partitions move within {@link #SESSION_TIMEOUT_MS}.
 * Each service adds what is its own (exactly-once and one snapshot per poll for the estimator, for example).
 */
public final class StreamsProperties {
  /**
   * Consumer-group session timeout: the takeover time after an instance dies (Kafka's default is 45 s). Heartbeats
   * come from a background thread, so long processing does not count against it (max.poll.interval.ms does); the cost
   * of a shorter timeout is a rebalance after a network pause longer than this.
   */
  public static final int SESSION_TIMEOUT_MS = 10_000;

  private StreamsProperties() {}

  public static Properties common(KafkaConnection kafka, String applicationId, Path stateDir) {
    Properties p = new Properties();
    p.putAll(kafka.toMap());
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
    p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
    p.put("processing.exception.handler.global.enabled", true);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), SESSION_TIMEOUT_MS);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), SESSION_TIMEOUT_MS / 4);
    return p;
  }
}
