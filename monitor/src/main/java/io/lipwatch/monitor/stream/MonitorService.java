package io.lipwatch.monitor.stream;

import io.lipwatch.estimator.lifecycle.Service;
import io.lipwatch.estimator.lifecycle.ServiceStates;
import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.monitor.http.MonitorHttpServer;
import io.lipwatch.estimator.estimate.BaselinePin;
import io.lipwatch.monitor.metrics.RobustnessMetrics;
import io.lipwatch.monitor.verdict.Policy;
import io.lipwatch.monitor.verdict.VerdictPolicy;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;

/** The monitor: a Kafka Streams app over the estimates, a Prometheus registry and the HTTP endpoints. */
public final class MonitorService implements Service {
  public static final String APPLICATION_ID = "lipwatch-monitor";

  private final PrometheusMeterRegistry registry;
  private final KafkaStreams streams;
  private final KafkaStreamsMetrics streamsMetrics;
  private final MonitorHttpServer http;
  private JvmGcMetrics gc;

  /**
   * @param registry shared registry (the demo puts estimator and trainer meters in it too); null for a new one
   */
  public MonitorService(KafkaConnection kafka, Path stateDir, String httpHost, int metricsPort, PrometheusMeterRegistry registry)
      throws IOException {
    this(kafka, stateDir, httpHost, metricsPort, registry, Policy.defaults());
  }

  public MonitorService(KafkaConnection kafka, Path stateDir, String httpHost, int metricsPort, PrometheusMeterRegistry registry,
      Policy policy) throws IOException {
    this.registry = registry != null ? registry : newRegistry();
    RobustnessMetrics metrics = new RobustnessMetrics();
    metrics.bindTo(this.registry);
    Properties p = io.lipwatch.estimator.stream.StreamsProperties.common(kafka, APPLICATION_ID, stateDir);
    // one bad estimate must not stop the monitor: log it and go on
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
        org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler.class);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
    this.streams = new KafkaStreams(MonitorTopology.build(new VerdictPolicy(policy), metrics), p);
    this.streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(this.registry);
    this.http = new MonitorHttpServer(httpHost, metricsPort, this.registry, new StoreModelApi(this::historyStore, this::pinsStore),
        () -> streams.state().isRunningOrRebalancing() || streams.state() == KafkaStreams.State.CREATED);
  }

  /** A Prometheus registry with the JVM and process binders. */
  public static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new ClassLoaderMetrics().bindTo(r);
    new JvmMemoryMetrics().bindTo(r);
    new JvmThreadMetrics().bindTo(r);
    new ProcessorMetrics().bindTo(r);
    new UptimeMetrics().bindTo(r);
    return r;
  }

  @Override
  public String name() {
    return "monitor";
  }

  @Override
  public void start() {
    gc = new JvmGcMetrics();
    gc.bindTo(registry);
    streams.start();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The queryable per-model history (this instance's partitions). */
  public ReadOnlyKeyValueStore<String, ModelState> historyStore() {
    return streams.store(StoreQueryParameters.fromNameAndType(MonitorTopology.HISTORY_STORE, QueryableStoreTypes.keyValueStore()));
  }

  public ReadOnlyKeyValueStore<String, BaselinePin> pinsStore() {
    return streams.store(StoreQueryParameters.fromNameAndType(MonitorTopology.PINS_STORE, QueryableStoreTypes.keyValueStore()));
  }

  public int httpPort() {
    return http.port();
  }

  @Override
  public State state() {
    return ServiceStates.of(streams.state());
  }

  /** Kafka Streams' own state, finer than {@link #state()}. */
  public KafkaStreams.State streamsState() {
    return streams.state();
  }

  @Override
  public synchronized void close() {
    http.close();
    streams.close(Duration.ofSeconds(30));
    streamsMetrics.close();
    if (gc != null) {
      gc.close();
    }
  }
}
