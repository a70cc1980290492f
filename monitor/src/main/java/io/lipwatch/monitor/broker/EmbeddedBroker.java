package io.lipwatch.monitor.broker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka 4.3 broker in KRaft mode (one combined broker+controller node), started in-process from
 * Kafka's own server jars. Used by {@code lipwatch broker}, {@code lipwatch demo} and the integration tests.
 */
public final class EmbeddedBroker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);
  private final KafkaClusterTestKit cluster;
  private final Path dataDir;

  private EmbeddedBroker(KafkaClusterTestKit cluster, Path dataDir) {
    this.cluster = cluster;
    this.dataDir = dataDir;
  }

  /**
   * Starts a broker.
   *
   * @param port    the client port; 0 picks a free one
   * @param dataDir where logs live; null for a temporary directory deleted on close
   */
  public static EmbeddedBroker start(int port, Path dataDir) throws Exception {
    Path base = dataDir != null ? dataDir.toAbsolutePath() : Files.createTempDirectory("lipwatch-broker-");
    Files.createDirectories(base);
    TestKitNodes.Builder nodes = new TestKitNodes.Builder()
        .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).setBaseDirectory(base);
    if (port > 0) {
      nodes.setPerServerProperties(Map.of(0, Map.of("listeners",
          "EXTERNAL://localhost:" + port + ",CONTROLLER://localhost:0")));
    }
    KafkaClusterTestKit.Builder b = new KafkaClusterTestKit.Builder(nodes.build())
        .setDeleteOnClose(dataDir == null)
        // one node: internal topics cannot be replicated, and consumer groups should not wait to rebalance
        .setConfigProp("offsets.topic.replication.factor", "1")
        .setConfigProp("offsets.topic.num.partitions", "3")
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("transaction.state.log.num.partitions", "3")
        .setConfigProp("group.initial.rebalance.delay.ms", "0")
        .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
        .setConfigProp("share.coordinator.state.topic.min.isr", "1")
        .setConfigProp("message.max.bytes", Integer.toString(33 * 1024 * 1024))
        .setConfigProp("replica.fetch.max.bytes", Integer.toString(33 * 1024 * 1024))
        .setConfigProp("auto.create.topics.enable", "false");
    KafkaClusterTestKit cluster = b.build();
    formatQuietly(cluster);
    cluster.startup();
    cluster.waitForReadyBrokers();
    LOG.info("Kafka {} (KRaft) ready at {} with data in {}", org.apache.kafka.common.utils.AppInfoParser.getVersion(),
        cluster.bootstrapServers(), base);
    return new EmbeddedBroker(cluster, base);
  }

  /** Kafka's storage formatter prints to System.out; keep the launcher's output to what the user asked for. */
  private static synchronized void formatQuietly(KafkaClusterTestKit cluster) throws Exception {
    java.io.PrintStream out = System.out;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      cluster.format();
    } finally {
      System.setOut(out);
    }
    LOG.debug("format: {}", captured);
  }

  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  public Path dataDir() {
    return dataDir;
  }

  @Override
  public void close() throws Exception {
    cluster.close();
  }
}
