package io.lipwatch.cli;

import io.lipwatch.estimator.stream.KafkaConnection;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** --bootstrap and --client-config, shared by every verb that talks to Kafka. */
public final class KafkaOptions {
  @Option(names = "--bootstrap", paramLabel = "HOST:PORT", description = "Kafka bootstrap servers.")
  String bootstrap;

  @Option(names = "--client-config", paramLabel = "FILE",
      description = "Kafka client properties file (SASL, TLS, …) applied to every client.")
  Path clientConfig;

  @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
  picocli.CommandLine.Model.CommandSpec mixee;

  /** The connection; a usage error ("--bootstrap is required") when no bootstrap servers were given. */
  public KafkaConnection connection() throws IOException {
    return KafkaConnection.of(requireBootstrap(), clientConfig);
  }

  /** The bootstrap servers, or a usage error naming the option (exit code 2, with the command's usage hint). */
  public String requireBootstrap() {
    if (bootstrap == null || bootstrap.isBlank()) {
      throw new picocli.CommandLine.ParameterException(mixee.commandLine(), "--bootstrap is required (HOST:PORT of the Kafka cluster)");
    }
    return bootstrap;
  }

  public KafkaConnection connection(String bootstrapServers) throws IOException {
    return KafkaConnection.of(bootstrapServers, clientConfig);
  }
}
