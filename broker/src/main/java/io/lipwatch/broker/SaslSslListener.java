package io.lipwatch.broker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A SASL_SSL client listener with SCRAM-SHA-512 for {@link EmbeddedBroker}: TLS from PKCS12 key and trust stores,
 * and the SCRAM users created when the data directory is formatted. The broker's own user carries inter-broker
 * traffic (transaction markers go over the network even on one node); the controller listener stays PLAINTEXT on
 * localhost, since KRaft cannot authenticate controllers with SCRAM (the credentials live in the metadata they serve).
 *
 * @param keyStore           PKCS12 store with the broker's key and certificate chain (SAN for the advertised host)
 * @param keyStorePassword   its password (PKCS12: also the key's)
 * @param trustStore         PKCS12 store with the CA that signed the broker's certificate
 * @param trustStorePassword its password
 * @param broker             the broker's own SCRAM user (inter-broker)
 * @param clients            further SCRAM users for clients
 */
public record SaslSslListener(Path keyStore, String keyStorePassword, Path trustStore, String trustStorePassword,
    ScramUser broker, List<ScramUser> clients) {
  public static final String MECHANISM = "SCRAM-SHA-512";
  static final String LISTENER = "SASL_SSL";

  /** A SCRAM user; names and passwords go through Kafka's {@code --add-scram} syntax, hence no ",[]\"=". */
  public record ScramUser(String name, String password) {
    public ScramUser {
      for (String s : new String[] {name, password}) {
        if (s == null || s.isEmpty() || s.chars().anyMatch(c -> ",[]\"=".indexOf(c) >= 0 || Character.isWhitespace(c))) {
          throw new IllegalArgumentException("SCRAM user names and passwords are non-empty, without whitespace or ,[]\"=");
        }
      }
    }

    /** The JAAS line a client (or the broker, inter-broker) logs in with. */
    public String jaasConfig() {
      return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + name + "\" password=\""
          + password + "\";";
    }

    @Override
    public String toString() {
      return "ScramUser[" + name + "]"; // never the password in logs
    }
  }

  public SaslSslListener {
    for (Path p : new Path[] {keyStore, trustStore}) {
      if (p == null || !Files.isReadable(p)) {
        throw new IllegalArgumentException("key/trust store " + p + " does not exist or is not readable");
      }
    }
    if (broker == null) {
      throw new IllegalArgumentException("the broker's SCRAM user is required");
    }
    clients = clients == null ? List.of() : List.copyOf(clients);
  }

  /** Every user, the broker's first. */
  public List<ScramUser> users() {
    List<ScramUser> all = new ArrayList<>();
    all.add(broker);
    all.addAll(clients);
    return all;
  }

  /** Kafka storage-format arguments creating the users ({@code kafka-storage format --add-scram ...}). */
  List<String> scramArguments() {
    return users().stream().map(u -> MECHANISM + "=[name=" + u.name() + ",password=" + u.password() + "]").toList();
  }

  /** Broker settings for a listener named SASL_SSL that also carries inter-broker traffic. */
  public Map<String, String> brokerProperties() {
    String prefix = "listener.name." + LISTENER.toLowerCase() + ".";
    Map<String, String> p = new LinkedHashMap<>();
    p.put("sasl.enabled.mechanisms", MECHANISM);
    p.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
    p.put(prefix + MECHANISM.toLowerCase() + ".sasl.jaas.config", broker.jaasConfig());
    // TLS settings unprefixed: only this listener uses TLS, and the broker's inter-broker client needs the trust store
    p.put("ssl.keystore.type", "PKCS12");
    p.put("ssl.keystore.location", keyStore.toAbsolutePath().toString());
    p.put("ssl.keystore.password", keyStorePassword);
    p.put("ssl.truststore.type", "PKCS12");
    p.put("ssl.truststore.location", trustStore.toAbsolutePath().toString());
    p.put("ssl.truststore.password", trustStorePassword);
    return p;
  }

  /** Client properties (what a {@code --client-config} file holds) for one of the users. */
  public Map<String, String> clientProperties(ScramUser user) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("security.protocol", "SASL_SSL");
    p.put("sasl.mechanism", MECHANISM);
    p.put("sasl.jaas.config", user.jaasConfig());
    p.put("ssl.truststore.type", "PKCS12");
    p.put("ssl.truststore.location", trustStore.toAbsolutePath().toString());
    p.put("ssl.truststore.password", trustStorePassword);
    return p;
  }

  @Override
  public String toString() {
    return "SaslSslListener[" + MECHANISM + ", users " + users() + ", key store " + keyStore + "]";
  }
}
