package io.lipwatch.estimator.stream;

import io.lipwatch.estimator.lifecycle.Service;
import io.lipwatch.estimator.lifecycle.ServiceStates;
import io.lipwatch.estimator.metrics.EstimatorMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/** Runs the estimator topology as a Kafka Streams application ({@code exactly_once_v2}, one snapshot per poll). */
public final class EstimatorService implements Service {
  public static final String APPLICATION_ID = "lipwatch-estimator";
  /** Consumer-group session timeout: the takeover time after an instance dies (≤ 15 s wanted). */
  public static final int SESSION_TIMEOUT_MS = StreamsProperties.SESSION_TIMEOUT_MS;

  private final KafkaStreams streams;
  private final KafkaStreamsMetrics streamsMetrics;
  private final EstimatorSettings settings;

  public EstimatorService(KafkaConnection kafka, EstimatorSettings settings, Path stateDir, MeterRegistry registry) {
    this.settings = settings;
    EstimatorMetrics metrics = new EstimatorMetrics();
    if (registry != null) {
      metrics.bindTo(registry);
    }
    this.streams = new KafkaStreams(EstimatorTopology.build(settings, metrics), properties(kafka, settings, stateDir));
    this.streamsMetrics = registry == null ? null : new KafkaStreamsMetrics(streams);
    if (registry != null) {
      streamsMetrics.bindTo(registry);
    }
  }

  static Properties properties(KafkaConnection kafka, EstimatorSettings settings, Path stateDir) {
    Properties p = StreamsProperties.common(kafka, APPLICATION_ID, stateDir);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DlqProcessingExceptionHandler.class);
    // one snapshot per poll, and enough time to estimate it before the group evicts us
    long budgetMs = settings.engine().methodBudget().toMillis() * 8 + Duration.ofMinutes(5).toMillis();
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 1);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG), (int) Math.min(Integer.MAX_VALUE, budgetMs));
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), Topics.SNAPSHOT_MAX_MESSAGE_BYTES);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_BYTES_CONFIG), Topics.SNAPSHOT_MAX_MESSAGE_BYTES);
    // a transaction may stay open while a long estimate runs
    p.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), (int) Math.min(900_000, budgetMs));
    p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "zstd");
    return p;
  }

  @Override
  public String name() {
    return "estimator";
  }

  /** Warms the estimate path first (a throwaway estimate, {@link EstimatorWarmup}), then starts consuming. */
  @Override
  public void start() {
    EstimatorWarmup.run(settings);
    streams.start();
  }

  @Override
  public State state() {
    return ServiceStates.of(streams.state());
  }

  /** Kafka Streams' own state, finer than {@link #state()}. */
  public KafkaStreams.State streamsState() {
    return streams.state();
  }

  public KafkaStreams streams() {
    return streams;
  }

  @Override
  public synchronized void close() {
    streams.close(Duration.ofSeconds(30));
    if (streamsMetrics != null) {
      streamsMetrics.close();
    }
  }
}
