package io.lipwatch.cli;

import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.snapshot.DirectorySnapshotStore;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotPublisher;
import io.lipwatch.estimator.stream.EstimatorService;
import io.lipwatch.estimator.stream.EstimatorSettings;
import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.estimator.stream.TopicAdmin;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.monitor.broker.EmbeddedBroker;
import io.lipwatch.monitor.stream.MonitorService;
import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.loop.RetrainingLoop;
import io.lipwatch.trainer.loop.TrainerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lipwatch demo}: broker, trainer, estimator and monitor in one process, on real Fashion-MNIST. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Run everything in one process: an embedded Kafka broker (KRaft), the trainer (Fashion-MNIST MLP,",
        "a snapshot per epoch), the estimator and the monitor with Prometheus /metrics."})
public final class DemoCommand implements Callable<Integer> {
  @Option(names = "--duration", converter = DurationConverter.class, paramLabel = "DURATION",
      description = "Stop after this long (e.g. 4m); default: run until Ctrl-C.")
  Duration duration;

  @Option(names = "--metrics-port", defaultValue = "9464", description = "Port of /metrics and the HTTP API (default: ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(names = "--bootstrap", paramLabel = "HOST:PORT", description = "Use this Kafka cluster instead of an embedded broker.")
  String bootstrap;

  @Option(names = "--broker-port", defaultValue = "0", description = "Client port of the embedded broker (default: a free port).")
  int brokerPort;

  @Option(names = "--data", defaultValue = "/usr/share/datasets/fashion-mnist", paramLabel = "DIR",
      description = "Fashion-MNIST IDX directory (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--model", defaultValue = "fmnist-mlp", description = "Model name (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--train-samples", defaultValue = "0", description = "Train on the first N samples (default: 0, all 60000).")
  int trainSamples;

  @Option(names = "--work-dir", paramLabel = "DIR", description = "Where state and the snapshot store go (default: a temporary directory, removed on exit).")
  Path workDir;

  @Override
  public Integer call() throws Exception {
    if (!Files.isDirectory(data)) {
      System.err.println("error: dataset directory " + data + " not found: " + Datasets.INSTALL_HINT);
      return 2;
    }
    boolean tempWork = workDir == null;
    Path work = tempWork ? Files.createTempDirectory("lipwatch-demo-") : Files.createDirectories(workDir);
    try (RunUntilStopped run = new RunUntilStopped()) {
      if (tempWork) {
        run.register(() -> deleteTree(work));
      }
      String servers = bootstrap;
      if (servers == null) {
        EmbeddedBroker broker = run.register(EmbeddedBroker.start(brokerPort, workDir == null ? null : work.resolve("kafka")));
        servers = broker.bootstrapServers();
      }
      KafkaConnection kafka = KafkaConnection.of(servers);
      TopicAdmin.ensureTopics(kafka.toMap(), 1, (short) 1);
      DirectorySnapshotStore store = new DirectorySnapshotStore(Files.createDirectories(work.resolve("snapshot-store")));

      MonitorService monitor = run.register(new MonitorService(kafka, work.resolve("monitor-state"), "0.0.0.0", metricsPort, null));
      EstimatorService estimator = run.register(new EstimatorService(kafka,
          new EstimatorSettings(SnapshotLimits.defaults(), EngineConfig.defaults(), EstimatorSettings.streamProbes(), store, null),
          work.resolve("estimator-state"), monitor.registry()));
      SnapshotPublisher publisher = run.register(new SnapshotPublisher(kafka, SnapshotLimits.defaults(), store, null));
      RetrainingLoop trainer = new RetrainingLoop(new TrainerConfig(model, data, "fashion-mnist", new int[] {256, 256}, "relu",
          128, 1e-3, 1, 0, Duration.ZERO, trainSamples, 1000, 7L), kafka, publisher, monitor.registry());
      run.register(trainer::stop);

      monitor.start();
      estimator.start();
      Thread t = new Thread(() -> {
        try {
          trainer.run();
        } catch (RuntimeException e) {
          System.err.println("trainer stopped: " + e.getMessage());
        }
      }, "lipwatch-trainer");
      t.setDaemon(true);
      t.start();

      System.out.println();
      System.out.println("lipwatch demo running");
      System.out.println("  Kafka bootstrap: " + servers + (bootstrap == null ? "  (embedded KRaft broker)" : ""));
      System.out.println("  metrics:         http://localhost:" + monitor.httpPort() + "/metrics");
      System.out.println("  API:             http://localhost:" + monitor.httpPort() + "/api/models");
      System.out.println("  topics:          " + Topics.ALL.stream().map(x -> x.name()).toList());
      System.out.println("  model:           " + model + " (MLP 784-256-256-10 on Fashion-MNIST, a snapshot per epoch)");
      System.out.println("  watch estimates: kcat -C -b " + servers + " -t " + Topics.ESTIMATES.name() + " -e");
      System.out.println("  work dir:        " + work + (tempWork ? " (removed on exit)" : ""));
      System.out.println(duration == null ? "Ctrl-C to stop." : "stopping after " + duration + " (or Ctrl-C).");
      run.await(duration);
      System.out.println("stopping…");
      trainer.stop();
    }
    return 0;
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
