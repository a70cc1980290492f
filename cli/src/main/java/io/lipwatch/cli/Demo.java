package io.lipwatch.cli;

import io.lipwatch.estimator.snapshot.DirectorySnapshotStore;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotPublisher;
import io.lipwatch.estimator.stream.EstimatorService;
import io.lipwatch.estimator.stream.EstimatorSettings;
import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.estimator.stream.TopicAdmin;
import io.lipwatch.estimator.lifecycle.Service;
import io.lipwatch.monitor.stream.MonitorService;
import io.lipwatch.trainer.loop.RetrainingLoop;
import io.lipwatch.trainer.loop.TrainerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The all-in-one pipeline: embedded broker (unless a bootstrap is given), topics, monitor, estimator and a retraining
 * trainer, in one process. {@link DemoCommand} runs it from the command line; the end-to-end tests start it directly.
 */
public final class Demo implements AutoCloseable {

  /**
   * @param bootstrap  an existing cluster, or null for an embedded broker
   * @param brokerPort embedded broker port (0: free port)
   * @param workDir    state and snapshot store; null for a temporary directory removed on close
   * @param trainer    what the trainer does
   */
  public record Config(String bootstrap, int brokerPort, int metricsPort, Path workDir, TrainerConfig trainer, Scenario scenario) {
    public Config(String bootstrap, int brokerPort, int metricsPort, Path workDir, TrainerConfig trainer) {
      this(bootstrap, brokerPort, metricsPort, workDir, trainer, Scenario.normal);
    }
  }

  /** normal: the trainer keeps its regulariser; regression: it drops it after {@link #REGRESS_AFTER} snapshots. */
  public enum Scenario { normal, regression }

  public static final int REGRESS_AFTER = 4;
  /** Epochs before the first snapshot, then per-cycle fine-tuning at a tenth of the learning rate (see RetrainingLoop). */
  public static final int WARMUP_EPOCHS = 3;
  public static final double FINE_TUNE_LEARNING_RATE = 1e-4;

  private final Closer resources = new Closer();
  private final String bootstrap;
  private final MonitorService monitor;
  private final RetrainingLoop trainer;
  private final Path work;
  private final boolean tempWork;

  private Demo(Config cfg) throws Exception {
    tempWork = cfg.workDir() == null;
    work = tempWork ? Files.createTempDirectory("lipwatch-demo-") : Files.createDirectories(cfg.workDir());
    if (tempWork) {
      resources.register((AutoCloseable) () -> deleteTree(work));
    }
    String servers = cfg.bootstrap();
    if (servers == null) {
      BrokerService broker = resources.register(new BrokerService(cfg.brokerPort(), tempWork ? null : work.resolve("kafka")));
      broker.start();
      servers = broker.bootstrapServers();
    }
    bootstrap = servers;
    KafkaConnection kafka = KafkaConnection.of(servers);
    TopicAdmin.ensureTopics(kafka.toMap(), 1, (short) 1);
    DirectorySnapshotStore store = new DirectorySnapshotStore(Files.createDirectories(work.resolve("snapshot-store")));
    monitor = new MonitorService(kafka, work.resolve("monitor-state"), "0.0.0.0", cfg.metricsPort(), null);
    resources.register(monitor);
    EstimatorService estimator = new EstimatorService(kafka,
        new EstimatorSettings(SnapshotLimits.defaults(), EstimatorSettings.streamEngine(), EstimatorSettings.streamProbes(), store, null),
        work.resolve("estimator-state"), monitor.registry());
    resources.register(estimator);
    SnapshotPublisher publisher = new SnapshotPublisher(kafka, SnapshotLimits.defaults(), store, null);
    resources.register(publisher);
    trainer = new RetrainingLoop(cfg.trainer(), kafka, publisher, monitor.registry())
        .dropRegularizationAfter(cfg.scenario() == Scenario.regression ? REGRESS_AFTER : 0)
        .warmup(WARMUP_EPOCHS, FINE_TUNE_LEARNING_RATE);
    resources.register(trainer);
    for (Service s : List.of(monitor, estimator, trainer)) {
      s.start();
    }
  }

  public static Demo start(Config cfg) throws Exception {
    return new Demo(cfg);
  }

  public String bootstrap() {
    return bootstrap;
  }

  public int metricsPort() {
    return monitor.httpPort();
  }

  public Path workDir() {
    return work;
  }

  public boolean temporaryWorkDir() {
    return tempWork;
  }

  public MonitorService monitor() {
    return monitor;
  }

  @Override
  public void close() {
    trainer.stop();
    resources.close();
  }

  private static void deleteTree(Path root) throws java.io.IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
