package io.lipwatch.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code lipwatch} command line. */
@Command(name = "lipwatch", mixinStandardHelpOptions = true, versionProvider = LipwatchCli.Version.class,
    description = {"Kafka-based robustness monitor for neural networks: Lipschitz bounds and adversarial probes for every",
        "model snapshot, as Prometheus metrics and verdicts."},
    subcommands = {DemoCommand.class, BrokerCommand.class, PublishCommand.class, PublishProbeSetCommand.class,
        EstimateCommand.class, EstimatorCommand.class, MonitorCommand.class, TrainCommand.class, ReproduceCommand.class,
        BenchCommand.class, TopicsCommand.class, PinCommand.class, GateCommand.class,
        CommandLine.HelpCommand.class})
public final class LipwatchCli implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new LipwatchCli());
    cl.setExecutionExceptionHandler((ex, line, parsed) -> {
      line.getErr().println(line.getColorScheme().errorText("error: " + Errors.describe(ex)));
      if (Boolean.getBoolean("lipwatch.debug")) {
        ex.printStackTrace(line.getErr());
      }
      return 1;
    });
    return cl;
  }

  public static void main(String[] args) {
    // Kafka's broker jars bring log4j-core and a log4j2.yaml it cannot read; its status logger would print a
    // "main ERROR" line on every broker start although lipwatch logs through SLF4J/Logback
    if (System.getProperty("log4j2.statusLoggerLevel") == null) {
      System.setProperty("log4j2.statusLoggerLevel", "OFF");
    }
    System.exit(commandLine().execute(args));
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = LipwatchCli.class.getPackage().getImplementationVersion();
      return new String[] {"lipwatch " + (v == null ? "0.1.0-SNAPSHOT" : v)};
    }
  }
}
