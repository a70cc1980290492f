package io.lipwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.broker.EmbeddedBroker;
import io.lipwatch.broker.SaslSslListener;
import io.lipwatch.broker.SaslSslListener.ScramUser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import kafka.server.KafkaConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * lipwatch on a secured cluster: the embedded KRaft broker's only client listener is SASL_SSL (SCRAM-SHA-512, a
 * certificate from a CA made in the test by deploy/kafka/make-certs.sh). The real {@code topics}, {@code monitor}, {@code estimator} and
 * {@code train} verbs connect with {@code --client-config} (deploy/kafka/client-sasl-ssl.properties with this test's
 * user, password and trust store); a trained snapshot gets its estimate and verdict. Clients without credentials,
 * with a wrong password, or not trusting the CA are refused.
 */
class SecureClusterIT {
  static final String MODEL = "secure-mlp";
  static final String DATASET = "secure-digits";

  @TempDir
  Path tmp;

  @Test
  void servicesConnectWithAClientConfigAndClientsWithoutCredentialsAreRefused() throws Exception {
    String storePassword = "store-" + UUID.randomUUID();
    Path tls = makeCerts(tmp.resolve("tls"), storePassword);
    Path keyStore = tls.resolve("broker.p12");
    Path trustStore = tls.resolve("truststore.p12");
    ScramUser lipwatch = new ScramUser("lipwatch", "pw-" + UUID.randomUUID());
    SaslSslListener security = new SaslSslListener(keyStore, storePassword, trustStore, storePassword,
        new ScramUser("broker", "pw-" + UUID.randomUUID()), List.of(lipwatch));

    try (EmbeddedBroker broker = EmbeddedBroker.start(0, null, security)) {
      String bootstrap = broker.bootstrapServers();
      Path clientConfig = clientConfigFromDeployExample(lipwatch, trustStore, storePassword);
      KafkaConnection kafka = KafkaConnection.of(bootstrap, clientConfig);

      assertEquals(0, cli("topics", "--bootstrap", bootstrap, "--client-config", clientConfig.toString(), "--partitions", "1"));
      try (BackgroundVerb monitor = new BackgroundVerb("monitor", new MonitorCommand(), "--bootstrap", bootstrap,
              "--client-config", clientConfig.toString(), "--metrics-port", "0", "--http-host", "127.0.0.1",
              "--state-dir", tmp.resolve("monitor").toString());
          BackgroundVerb estimator = new BackgroundVerb("estimator", new EstimatorCommand(), "--bootstrap", bootstrap,
              "--client-config", clientConfig.toString(), "--metrics-port", "-1", "--budget", "2s",
              "--probe-samples", "20", "--l2-eps", "0.5", "--linf-eps", "0.03", "--pgd-steps", "10",
              "--state-dir", tmp.resolve("estimator").toString())) {
        Path data = SyntheticIdxDataset.write(tmp.resolve("data"), 600, 100, 11L);
        // one snapshot, then the verb returns: trainer and probe-set publisher both go through the client config
        assertEquals(0, cli("train", "--bootstrap", bootstrap, "--client-config", clientConfig.toString(), "--model", MODEL,
            "--data", data.toString(), "--dataset", DATASET, "--hidden", "16", "--batch-size", "50", "--snapshots", "1",
            "--probe-samples", "50", "--seed", "5", "--metrics-port", "-1"));

        Estimate e = first(kafka, Topics.ESTIMATES.name(), Topics.ESTIMATES.valueSerde().deserializer(),
            x -> MODEL.equals(x.model()), Duration.ofSeconds(60), monitor, estimator);
        assertEquals(1, e.version());
        assertTrue(Double.isFinite(e.lipschitz().bestUpper()) && e.lipschitz().bestUpper() > 0, "bound " + e.lipschitz());
        assertEquals(DATASET, e.probes().dataset(), "the trainer's probe set reached the estimator");
        Verdict v = first(kafka, Topics.VERDICTS.name(), Topics.VERDICTS.valueSerde().deserializer(),
            x -> MODEL.equals(x.model()), Duration.ofSeconds(30), monitor, estimator);
        assertEquals(1, v.version());
        assertEquals(Verdict.PASS, v.verdict(), "a first version has nothing to regress from: " + v);
      }

      // a third-party client (kcat) without credentials gets no metadata either
      Kcat anonymous = kcat(bootstrap, "-L", "-m", "3");
      assertTrue(anonymous.code() != 0 && !anonymous.out().contains(Topics.ESTIMATES.name()), anonymous.out());

      assertRefused(bootstrap, "a plaintext client", Map.of(), TimeoutException.class);
      assertRefused(bootstrap, "TLS without SASL", Map.<String, Object>of("security.protocol", "SSL", "ssl.truststore.type", "PKCS12",
          "ssl.truststore.location", trustStore.toString(), "ssl.truststore.password", storePassword), TimeoutException.class);
      Map<String, Object> wrongPassword = new HashMap<>(security.clientProperties(new ScramUser("lipwatch", "guessed")));
      assertRefused(bootstrap, "a wrong password", wrongPassword, SaslAuthenticationException.class);
      Map<String, Object> unknownUser = new HashMap<>(security.clientProperties(new ScramUser("mallory", "pw")));
      assertRefused(bootstrap, "an unknown user", unknownUser, SaslAuthenticationException.class);
      Path otherTrust = makeCerts(tmp.resolve("other-ca"), storePassword).resolve("truststore.p12");
      Map<String, Object> untrusted = new HashMap<>(kafka.clientProperties());
      untrusted.put("ssl.truststore.location", otherTrust.toString());
      assertRefused(bootstrap, "a client not trusting the broker's CA", untrusted, SslAuthenticationException.class);
      assertProduceRefused(bootstrap);
      // while the client config still works: the refusals are the listener's doing, not a broker gone away
      try (Admin admin = Admin.create(adminProps(bootstrap, kafka.clientProperties()))) {
        assertEquals(1, admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
      }
    }
  }

  /**
   * deploy/kafka/server-sasl-ssl.properties passes Kafka's own broker config validation and carries the settings the
   * broker above ran with (paths and passwords aside).
   */
  @Test
  void deployBrokerExampleIsValidAndHasTheTestedSettings() throws Exception {
    Properties example = load("deploy/kafka/server-sasl-ssl.properties");
    KafkaConfig config = KafkaConfig.fromProps(example, false);
    assertEquals("SASL_SSL", config.interBrokerListenerName().value());
    assertEquals(SaslSslListener.MECHANISM, config.saslMechanismInterBrokerProtocol());
    assertEquals("SASL_SSL", example.getProperty("listener.security.protocol.map").replaceAll(".*SASL_SSL:(\\w+).*", "$1"));
    assertTrue(example.getProperty("listeners").matches("SASL_SSL://[^,]*,CONTROLLER://localhost:\\d+"),
        "no client listener but SASL_SSL; the controller on loopback: " + example.getProperty("listeners"));
    assertEquals("false", example.getProperty("auto.create.topics.enable"));

    Path store = Files.createFile(tmp.resolve("placeholder.p12"));
    SaslSslListener tested = new SaslSslListener(store, "x", store, "x", new ScramUser("broker", "x"), List.of());
    tested.brokerProperties().forEach((key, value) -> {
      assertTrue(example.containsKey(key), "the example sets " + key);
      if (key.endsWith(".jaas.config")) {
        assertTrue(example.getProperty(key).startsWith(value.substring(0, value.indexOf("password="))), key);
      } else if (!key.endsWith(".location") && !key.endsWith(".password")) {
        assertEquals(value, example.getProperty(key), key);
      }
    });
  }

  /**
   * A new CA, a broker key store for localhost and a trust store, made by deploy/kafka/make-certs.sh with the JDK's
   * keytool (the script users run, so the test also checks it).
   */
  static Path makeCerts(Path dir, String storePassword) throws IOException, InterruptedException {
    Path script = PrometheusEndToEndIT.repositoryRoot().resolve("deploy/kafka/make-certs.sh");
    ProcessBuilder pb = new ProcessBuilder("sh", script.toString(), dir.toString(), "localhost").redirectErrorStream(true);
    pb.environment().put("STORE_PASSWORD", storePassword);
    pb.environment().put("DAYS", "1");
    pb.environment().put("KEYTOOL", Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "make-certs.sh did not finish");
    assertEquals(0, p.exitValue(), "make-certs.sh failed: " + out);
    return dir;
  }

  static Properties load(String repositoryPath) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(PrometheusEndToEndIT.repositoryRoot().resolve(repositoryPath))) {
      p.load(r);
    }
    return p;
  }

  /** deploy/kafka/client-sasl-ssl.properties with this test's user, password and trust store (its keys unchanged). */
  Path clientConfigFromDeployExample(ScramUser user, Path trustStore, String trustStorePassword) throws IOException {
    Properties p = load("deploy/kafka/client-sasl-ssl.properties");
    assertEquals("SASL_SSL", p.getProperty("security.protocol"));
    assertEquals(SaslSslListener.MECHANISM, p.getProperty("sasl.mechanism"));
    String jaas = p.getProperty("sasl.jaas.config");
    assertTrue(jaas.startsWith("org.apache.kafka.common.security.scram.ScramLoginModule required "), jaas);
    for (String key : List.of("sasl.jaas.config", "ssl.truststore.location", "ssl.truststore.password")) {
      assertTrue(p.containsKey(key), "the example sets " + key);
    }
    p.setProperty("sasl.jaas.config", user.jaasConfig());
    p.setProperty("ssl.truststore.location", trustStore.toString());
    p.setProperty("ssl.truststore.password", trustStorePassword);
    Path file = tmp.resolve("client.properties");
    try (Writer w = Files.newBufferedWriter(file)) {
      p.store(w, "lipwatch client config for SecureClusterIT");
    }
    return file;
  }

  record Kcat(int code, String out) {}

  static Kcat kcat(String bootstrapServers, String... args) throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>(List.of("kcat", "-b", bootstrapServers));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kcat did not finish");
    return new Kcat(p.exitValue(), out);
  }

  /** Runs a finite verb through the real command line; its exit code. */
  static int cli(String... args) {
    CommandLine cl = LipwatchCli.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    if (code != 0) {
      System.err.println("lipwatch " + args[0] + " exited " + code + ": " + err);
    }
    return code;
  }

  /** The first record on the topic (read_committed, from the beginning) whose value matches, read with the client config. */
  static <V> V first(KafkaConnection kafka, String topic, Deserializer<V> deserializer, Predicate<V> match, Duration timeout,
      BackgroundVerb... services) {
    Map<String, Object> p = new HashMap<>(kafka.toMap());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "secure-it-" + topic + "-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, V> c = new KafkaConsumer<>(p, Topics.ESTIMATES.keySerde().deserializer(), deserializer)) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        for (BackgroundVerb s : services) {
          s.assertRunning();
        }
        for (ConsumerRecord<String, V> r : c.poll(Duration.ofMillis(500))) {
          if (match.test(r.value())) {
            return r.value();
          }
        }
      }
    }
    throw new AssertionError("nothing on " + topic + " within " + timeout);
  }

  /** Admin describeCluster with these client properties fails, with the expected cause, within seconds. */
  static void assertRefused(String bootstrapServers, String who, Map<String, Object> clientProps,
      Class<? extends Throwable> cause) {
    try (Admin admin = Admin.create(adminProps(bootstrapServers, clientProps))) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS), who + " must be refused");
      assertInstanceOf(cause, e.getCause(), who + ": " + e.getCause());
    }
  }

  static Map<String, Object> adminProps(String bootstrapServers, Map<String, ?> clientProps) {
    Map<String, Object> p = new HashMap<>(clientProps);
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    // a refused connection only shows as a timeout for clients that never get to authenticate
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 4000);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
    return p;
  }

  /** A producer without credentials cannot write a snapshot: it never gets the topic's metadata. */
  static void assertProduceRefused(String bootstrapServers) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 3000);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      Throwable t = assertThrows(Throwable.class,
          () -> producer.send(new ProducerRecord<>(Topics.SNAPSHOTS.name(), MODEL, new byte[] {1})).get(30, TimeUnit.SECONDS));
      Throwable cause = t instanceof ExecutionException ? t.getCause() : t;
      assertInstanceOf(TimeoutException.class, cause, "a plaintext producer: " + t);
    }
  }
}
