package io.lipwatch.estimator.stream;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * How to reach a Kafka cluster: bootstrap servers plus any client properties (SASL/TLS and so on) from a properties
 * file. Services add their own settings on top.
 */
public record KafkaConnection(String bootstrap, Map<String, String> clientProperties) {
  public KafkaConnection {
    if (bootstrap == null || bootstrap.isBlank()) {
      throw new IllegalArgumentException("bootstrap servers must be given (host:port[,host:port])");
    }
    clientProperties = clientProperties == null ? Map.of() : Map.copyOf(clientProperties);
  }

  public static KafkaConnection of(String bootstrap) {
    return new KafkaConnection(bootstrap, Map.of());
  }

  /** With client properties read from a file (null: none). */
  public static KafkaConnection of(String bootstrap, Path propertiesFile) throws IOException {
    if (propertiesFile == null) {
      return of(bootstrap);
    }
    if (!Files.isReadable(propertiesFile)) {
      throw new IOException("client properties file " + propertiesFile + " does not exist or is not readable");
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(propertiesFile)) {
      p.load(r);
    }
    Map<String, String> m = new HashMap<>();
    p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
    return new KafkaConnection(bootstrap, m);
  }

  /** Client properties including the bootstrap servers. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new HashMap<>(clientProperties);
    m.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return m;
  }
}
