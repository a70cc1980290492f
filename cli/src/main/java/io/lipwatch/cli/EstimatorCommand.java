package io.lipwatch.cli;

import io.lipwatch.estimator.snapshot.DirectorySnapshotStore;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotSignature;
import io.lipwatch.estimator.stream.EstimatorService;
import io.lipwatch.estimator.stream.EstimatorSettings;
import io.lipwatch.monitor.http.MonitorHttpServer;
import io.lipwatch.monitor.http.ModelApi;
import io.lipwatch.monitor.stream.MonitorService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lipwatch estimator}: the Kafka Streams estimator service. */
@Command(name = "estimator", mixinStandardHelpOptions = true,
    description = "Run the estimator service: lipwatch.snapshots → Lipschitz bounds → lipwatch.estimates (DLQ for bad snapshots).")
public final class EstimatorCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Mixin
  StateDirOption stateDir;

  @Option(names = "--snapshot-store", paramLabel = "DIR", description = "Snapshot store for claim-check snapshots.")
  Path store;

  @Option(names = "--methods", split = ",", paramLabel = "METHOD", completionCandidates = MethodNames.class,
      description = "Methods to run, comma-separated (default: all that apply by default): ${COMPLETION-CANDIDATES}.")
  List<String> methods;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--budget", converter = DurationConverter.class, defaultValue = "3s", description = "Time budget per method (default: ${DEFAULT-VALUE}; seqlip-greedy at most 2s in the stream).")
  Duration budget;

  @Option(names = "--hmac-key-file", paramLabel = "FILE", description = "Enforce HMAC-SHA256 snapshot signatures with this shared key.")
  Path hmacKey;

  @Option(names = "--metrics-port", defaultValue = "9465", description = "Port of the estimator's /metrics (default: ${DEFAULT-VALUE}; -1 disables).")
  int metricsPort;

  @picocli.CommandLine.Mixin
  ProbeOptions probeOptions;

  @Option(names = "--no-probes", description = "Bounds only, no adversarial probes.")
  boolean noProbes;

  @Override
  public Integer call() throws Exception {
    kafka.requireBootstrap();
    MethodNames.check(methods, spec);
    Path state = stateDir.resolve();
    EstimatorSettings settings = new EstimatorSettings(SnapshotLimits.defaults(),
        EstimatorSettings.streamEngine().withBudget(budget).withMethods(methods == null ? null : new LinkedHashSet<>(methods)),
        noProbes ? null : probeOptions.apply(EstimatorSettings.streamProbes()),
        store == null ? null : new DirectorySnapshotStore(store),
        hmacKey == null ? null : new SnapshotSignature(Files.readAllBytes(hmacKey)));
    var registry = MonitorService.newRegistry();
    try (RunUntilStopped run = new RunUntilStopped()) {
      EstimatorService svc = run.register(new EstimatorService(kafka.connection(), settings, state, registry));
      if (metricsPort >= 0) {
        MonitorHttpServer http = run.register(new MonitorHttpServer("0.0.0.0", metricsPort, registry, ModelApi.NONE,
            () -> svc.state() == io.lipwatch.estimator.lifecycle.Service.State.RUNNING));
        System.out.println("estimator metrics: http://localhost:" + http.port() + "/metrics");
      }
      svc.start();
      System.out.println("estimator running against " + kafka.bootstrap + "; Ctrl-C to stop.");
      run.await(null);
    }
    return 0;
  }
}
