package io.lipwatch.monitor.testing;

import io.lipwatch.broker.EmbeddedBroker;
import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.probes.ProbeSetPublisher;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.stream.EstimatorService;
import io.lipwatch.estimator.stream.EstimatorSettings;
import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.estimator.stream.TopicAdmin;
import io.lipwatch.estimator.testing.TestModels;
import io.lipwatch.monitor.stream.MonitorService;
import java.nio.file.Path;
import java.util.List;

/**
 * The real pipeline for integration tests: an embedded KRaft broker, the topics, the monitor (metrics on an ephemeral
 * port of 127.0.0.1) and the estimator streams sharing its registry, started in that order and closed in reverse.
 */
public final class LivePipeline implements AutoCloseable {
  public final EmbeddedBroker broker;
  public final KafkaConnection kafka;
  public final MonitorService monitor;
  public final EstimatorService estimator;

  private LivePipeline(EmbeddedBroker broker, KafkaConnection kafka, MonitorService monitor, EstimatorService estimator) {
    this.broker = broker;
    this.kafka = kafka;
    this.monitor = monitor;
    this.estimator = estimator;
  }

  /** The stream's default engine; {@code probeSamples} probe samples per estimate. */
  public static LivePipeline start(Path dir, int partitions, int probeSamples) throws Exception {
    return start(dir, partitions, EstimatorSettings.defaults().engine(), probeSamples);
  }

  /**
   * Starts everything under {@code dir} (state directories "monitor" and "estimator"); on a failure what was started
   * is closed before the exception propagates.
   */
  public static LivePipeline start(Path dir, int partitions, EngineConfig engine, int probeSamples) throws Exception {
    EmbeddedBroker broker = EmbeddedBroker.start(0, null);
    MonitorService monitor = null;
    EstimatorService estimator = null;
    try {
      KafkaConnection kafka = KafkaConnection.of(broker.bootstrapServers());
      TopicAdmin.ensureTopics(kafka.toMap(), partitions, (short) 1);
      monitor = new MonitorService(kafka, dir.resolve("monitor"), "127.0.0.1", 0, null);
      estimator = new EstimatorService(kafka, new EstimatorSettings(SnapshotLimits.defaults(), engine,
          EstimatorSettings.streamProbes().withSamples(probeSamples), null, null), dir.resolve("estimator"), monitor.registry());
      monitor.start();
      estimator.start();
      return new LivePipeline(broker, kafka, monitor, estimator);
    } catch (Throwable e) {
      try {
        closeAll(estimator, monitor, broker);
      } catch (Exception suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /**
   * Publishes the probe set the integration tests' 30-input, 10-class MLPs are probed on, under {@code dataset}: 60
   * seeded random inputs, labels 0…9 in turn.
   */
  public void publishRandomProbes(String dataset) throws Exception {
    byte[] codes = TestModels.randomBytes(9, 60 * 30);
    int[] labels = new int[60];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i % 10;
    }
    ProbeSetPublisher.publish(kafka, new ProbeSet(dataset, List.of(30), 10, 0, 1, labels, codes, null));
  }

  @Override
  public void close() throws Exception {
    closeAll(estimator, monitor, broker);
  }

  private static void closeAll(AutoCloseable... parts) throws Exception {
    for (AutoCloseable c : parts) {
      if (c != null) {
        c.close();
      }
    }
  }
}
