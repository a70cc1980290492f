package io.lipwatch.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka 4.3 broker in KRaft mode (one combined broker+controller node), started in-process from
 * Kafka's own server jars. With a free port and a throw-away directory it is Kafka's {@code KafkaClusterTestKit}
 * (fastest start); with a fixed port or a kept data directory it is a {@code KafkaRaftServer} with a static quorum,
 * formatted on first use and reopened afterwards. With a {@link SaslSslListener} the client listener is SASL_SSL
 * with SCRAM-SHA-512 and no plaintext client listener exists.
 */
public final class EmbeddedBroker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);

  /** Settings every single-node lipwatch broker needs (internal topics cannot be replicated, no rebalance delay). */
  static final Map<String, String> SINGLE_NODE = Map.ofEntries(
      Map.entry("offsets.topic.replication.factor", "1"),
      Map.entry("offsets.topic.num.partitions", "3"),
      Map.entry("transaction.state.log.replication.factor", "1"),
      Map.entry("transaction.state.log.min.isr", "1"),
      Map.entry("transaction.state.log.num.partitions", "3"),
      Map.entry("group.initial.rebalance.delay.ms", "0"),
      Map.entry("share.coordinator.state.topic.replication.factor", "1"),
      Map.entry("share.coordinator.state.topic.min.isr", "1"),
      Map.entry("message.max.bytes", Integer.toString(33 * 1024 * 1024)),
      Map.entry("replica.fetch.max.bytes", Integer.toString(33 * 1024 * 1024)),
      Map.entry("auto.create.topics.enable", "false"));

  private final AutoCloseable server;
  private final String bootstrap;
  private final Path dataDir;
  private final SaslSslListener security;

  private EmbeddedBroker(AutoCloseable server, String bootstrap, Path dataDir, SaslSslListener security) {
    this.server = server;
    this.bootstrap = bootstrap;
    this.dataDir = dataDir;
    this.security = security;
  }

  /**
   * Starts a broker.
   *
   * @param port    the client port; 0 picks a free one
   * @param dataDir where logs live, kept across runs; null for a temporary directory deleted on close
   */
  public static EmbeddedBroker start(int port, Path dataDir) throws Exception {
    return port == 0 && dataDir == null ? startTestKit() : startRaftServer(port, dataDir, null);
  }

  /**
   * Starts a broker whose only client listener is SASL_SSL (SCRAM-SHA-512). Its users are created when the data
   * directory is formatted, i.e. on first use of a kept directory.
   *
   * @param port     the client port; 0 picks a free one
   * @param dataDir  where logs live, kept across runs; null for a temporary directory deleted on close
   * @param security key/trust stores and SCRAM users
   */
  public static EmbeddedBroker start(int port, Path dataDir, SaslSslListener security) throws Exception {
    if (security == null) {
      return start(port, dataDir);
    }
    return startRaftServer(port, dataDir, security);
  }

  private static EmbeddedBroker startTestKit() throws Exception {
    Path base = Files.createTempDirectory("lipwatch-broker-");
    TestKitNodes nodes = new TestKitNodes.Builder()
        .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).setBaseDirectory(base).build();
    KafkaClusterTestKit.Builder b = new KafkaClusterTestKit.Builder(nodes).setDeleteOnClose(true);
    SINGLE_NODE.forEach(b::setConfigProp);
    KafkaClusterTestKit cluster = b.build();
    quietly(() -> {
      cluster.format();
      return null;
    });
    cluster.startup();
    cluster.waitForReadyBrokers();
    LOG.info("Kafka {} (KRaft) ready at {}", org.apache.kafka.common.utils.AppInfoParser.getVersion(), cluster.bootstrapServers());
    return new EmbeddedBroker(cluster, cluster.bootstrapServers(), base, null);
  }

  private static EmbeddedBroker startRaftServer(int port, Path dataDir, SaslSslListener security) throws Exception {
    Path dir = (dataDir != null ? dataDir : Files.createTempDirectory("lipwatch-broker-")).toAbsolutePath();
    Files.createDirectories(dir);
    int clientPort = port > 0 ? port : freePort();
    int controllerPort = freePort();
    Properties p = new Properties();
    p.putAll(SINGLE_NODE);
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    String client = security == null ? "PLAINTEXT" : SaslSslListener.LISTENER;
    p.put("listeners", client + "://:" + clientPort + ",CONTROLLER://localhost:" + controllerPort);
    p.put("advertised.listeners", client + "://localhost:" + clientPort);
    p.put("listener.security.protocol.map", client + ":" + client + ",CONTROLLER:PLAINTEXT");
    p.put("inter.broker.listener.name", client);
    if (security != null) {
      p.putAll(security.brokerProperties());
    }
    p.put("controller.listener.names", "CONTROLLER");
    // a static one-voter quorum: the controller port may change between runs without reformatting
    p.put("controller.quorum.voters", "1@localhost:" + controllerPort);
    p.put("log.dirs", dir.toString());
    if (!Files.exists(dir.resolve("meta.properties"))) {
      Formatter f = new Formatter()
          .setNodeId(1)
          .setClusterId(Uuid.randomUuid().toString())
          .addDirectory(dir.toString())
          .setMetadataLogDirectory(dir.toString())
          .setControllerListenerName("CONTROLLER")
          .setReleaseVersion(MetadataVersion.latestProduction())
          .setSupportedFeatures(Feature.PRODUCTION_FEATURES);
      if (security != null) {
        // KRaft keeps SCRAM credentials in the metadata log: bootstrap them with the first records
        f.setScramArguments(security.scramArguments());
      }
      quietly(() -> {
        f.setPrintStream(System.out).run();
        return null;
      });
    }
    KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(p, false), Time.SYSTEM);
    server.startup();
    String bootstrap = "localhost:" + clientPort;
    Map<String, Object> clientProps = new HashMap<>();
    if (security != null) {
      clientProps.putAll(security.clientProperties(security.broker()));
    }
    try {
      awaitReady(bootstrap, clientProps, Duration.ofSeconds(60));
    } catch (Exception e) {
      server.shutdown();
      server.awaitShutdown();
      throw e;
    }
    LOG.info("Kafka {} (KRaft) ready at {} ({}) with data in {}", org.apache.kafka.common.utils.AppInfoParser.getVersion(),
        bootstrap, client, dir);
    AutoCloseable closer = () -> {
      server.shutdown();
      server.awaitShutdown();
      if (dataDir == null) {
        deleteTree(dir);
      }
    };
    return new EmbeddedBroker(closer, bootstrap, dir, security);
  }

  private static void awaitReady(String bootstrap, Map<String, Object> clientProps, Duration timeout) throws Exception {
    Map<String, Object> p = new HashMap<>(clientProps);
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    try (Admin admin = Admin.create(p)) {
      admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private interface Action {
    Object run() throws Exception;
  }

  /** Kafka's storage formatter prints to System.out; keep the launcher's output to what the user asked for. */
  private static synchronized void quietly(Action a) throws Exception {
    PrintStream out = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      a.run();
    } finally {
      System.setOut(out);
    }
    LOG.debug("format: {}", captured);
  }

  private static void deleteTree(Path root) throws IOException {
    if (Files.exists(root)) {
      try (var s = Files.walk(root)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
      }
    }
  }

  public String bootstrapServers() {
    return bootstrap;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The SASL_SSL listener's settings, or null for a PLAINTEXT broker. */
  public SaslSslListener security() {
    return security;
  }

  @Override
  public void close() throws Exception {
    server.close();
  }
}
