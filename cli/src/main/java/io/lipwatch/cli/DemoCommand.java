package io.lipwatch.cli;

import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.loop.TrainerConfig;
import io.lipwatch.trainer.regularize.Regularization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lipwatch demo}: broker, trainer, estimator and monitor in one process, on real Fashion-MNIST. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run everything in one process: an embedded Kafka broker (KRaft), the trainer (Fashion-MNIST MLP, a snapshot "
        + "per epoch), the estimator and the monitor with Prometheus /metrics.")
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

  @Mixin
  DataOptions data;

  @Option(names = "--model", defaultValue = "fmnist-mlp", description = "Model name (default: ${DEFAULT-VALUE}).")
  String model;


  @Option(names = "--every", converter = DurationConverter.class, defaultValue = "20s", paramLabel = "INTERVAL",
      description = "Start a retraining cycle at most this often (default: ${DEFAULT-VALUE}).")
  Duration every;

  @Option(names = "--work-dir", paramLabel = "DIR", description = "Where broker data, state and the snapshot store go (default: a temporary directory, removed on exit).")
  Path workDir;

  @Option(names = "--scenario", defaultValue = "normal", description = "normal (CLIP throughout) or regression (the trainer "
      + "drops CLIP after " + Demo.REGRESS_AFTER + " snapshots: later versions become easier to fool and FAIL) (default: ${DEFAULT-VALUE}).")
  Demo.Scenario scenario;

  @Option(names = "--regularizer", defaultValue = "clip", description = "clip or none (default: ${DEFAULT-VALUE}).")
  String regularizer;

  /**
   * The demo's CLIP settings, those of {@code train --regularizer clip} (measured, trainer/CLIP.md): pairs that track the
   * Lipschitz constant, λ from 1 moved per window of minibatches towards 85 % train accuracy.
   */
  static Regularization demoRegularization(String name) {
    return switch (name) {
      case "clip" -> Regularization.trackingClip(CLIP_LAMBDA, CLIP_TARGET, 64);
      case "none" -> Regularization.none();
      default -> throw new IllegalArgumentException("--regularizer must be clip or none, got '" + name + "'");
    };
  }

  static final double CLIP_LAMBDA = 1.0;
  static final double CLIP_TARGET = 0.85;

  /** Retrain at most every {@code every}: the estimator's bounds and probes then keep pace with the trainer. */
  static TrainerConfig trainer(String model, Path data, int trainSamples, Duration every, Regularization reg) {
    return new TrainerConfig(model, data, "fashion-mnist", new int[] {256, 256}, "relu", 128, 1e-3, 1, 0, every,
        trainSamples, 1000, 7L, "mlp", reg, null);
  }

  static TrainerConfig trainer(String model, Path data, int trainSamples, Duration every) {
    return trainer(model, data, trainSamples, every, Regularization.none());
  }

  @Override
  public Integer call() throws Exception {
    if (!data.present()) {
      return 2;
    }
    try (RunUntilStopped run = new RunUntilStopped()) {
      Demo demo = run.register(Demo.start(new Demo.Config(bootstrap, brokerPort, metricsPort, workDir,
          trainer(model, data.dir, data.trainSamples, every, demoRegularization(regularizer)), scenario)));
      System.out.println();
      System.out.println("lipwatch demo running");
      System.out.println("  Kafka bootstrap: " + demo.bootstrap() + (bootstrap == null ? "  (embedded KRaft broker)" : ""));
      System.out.println("  page:            http://localhost:" + demo.metricsPort() + "/  (models, charts, verdicts)");
      System.out.println("  metrics:         http://localhost:" + demo.metricsPort() + "/metrics");
      System.out.println("  API:             http://localhost:" + demo.metricsPort() + "/api/models");
      System.out.println("  topics:          " + Topics.ALL.stream().map(x -> x.name()).toList());
      System.out.println("  model:           " + model + " (MLP 784-256-256-10 on Fashion-MNIST, " + regularizer
          + " regularisation, a snapshot per epoch" + (scenario == Demo.Scenario.regression
              ? "; drops its regulariser after v" + Demo.REGRESS_AFTER : "") + ")");
      System.out.println("  watch estimates: kcat -C -b " + demo.bootstrap() + " -t " + Topics.ESTIMATES.name() + " -e");
      System.out.println("  verdicts:        kcat -C -b " + demo.bootstrap() + " -t " + Topics.VERDICTS.name() + " -e");
      System.out.println("  work dir:        " + demo.workDir() + (demo.temporaryWorkDir() ? " (removed on exit)" : ""));
      System.out.println(duration == null ? "Ctrl-C to stop." : "stopping after " + duration + " (or Ctrl-C).");
      run.await(duration);
      System.out.println("stopping…");
    }
    return 0;
  }
}
