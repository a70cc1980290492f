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

  public KafkaConnection connection() throws IOException {
    return KafkaConnection.of(bootstrap, clientConfig);
  }

  public KafkaConnection connection(String bootstrapServers) throws IOException {
    return KafkaConnection.of(bootstrapServers, clientConfig);
  }
}
