package io.lipwatch.cli;

import io.lipwatch.monitor.stream.MonitorService;
import io.lipwatch.monitor.verdict.Policy;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lipwatch monitor}: the monitor service with /metrics and the HTTP API. */
@Command(name = "monitor", mixinStandardHelpOptions = true,
    description = "Run the monitor service: lipwatch.estimates → Prometheus /metrics, /api/models, /healthz.")
public final class MonitorCommand implements Callable<Integer> {
  @Mixin
  KafkaOptions kafka;

  @Option(names = "--metrics-port", defaultValue = "9464", description = "HTTP port of /metrics and the API (default: ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(names = "--http-host", defaultValue = "0.0.0.0", description = "Address the HTTP server binds (default: ${DEFAULT-VALUE}).")
  String host;

  @Mixin
  StateDirOption stateDir;

  @Option(names = "--policy", paramLabel = "FILE",
      description = "Regression policy JSON (thresholds; see README). Default: built-in thresholds.")
  Path policy;

  @Override
  public Integer call() throws Exception {
    kafka.requireBootstrap();
    Path state = stateDir.resolve();
    try (RunUntilStopped run = new RunUntilStopped()) {
      MonitorService m = run.register(new MonitorService(kafka.connection(), state, host, metricsPort, null,
          policy == null ? Policy.defaults() : Policy.load(policy)));
      m.start();
      System.out.println("monitor running: http://localhost:" + m.httpPort() + "/metrics ; Ctrl-C to stop.");
      run.await(null);
    }
    return 0;
  }
}
