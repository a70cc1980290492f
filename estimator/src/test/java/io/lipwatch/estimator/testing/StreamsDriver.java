package io.lipwatch.estimator.testing;

import io.lipwatch.estimator.stream.Topic;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * A topology under Kafka's {@link TopologyTestDriver} (no broker: the bootstrap is never contacted), with test topics
 * made from our {@link Topic} contracts so every test reads and writes through the production serdes.
 */
public final class StreamsDriver implements AutoCloseable {
  public final TopologyTestDriver driver;

  public StreamsDriver(Topology topology, String applicationId, Path stateDir) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    driver = new TopologyTestDriver(topology, p);
  }

  public <K, V> TestInputTopic<K, V> input(Topic<K, V> t) {
    return driver.createInputTopic(t.name(), t.keySerde().serializer(), t.valueSerde().serializer());
  }

  public <K, V> TestOutputTopic<K, V> output(Topic<K, V> t) {
    return driver.createOutputTopic(t.name(), t.keySerde().deserializer(), t.valueSerde().deserializer());
  }

  @Override
  public void close() {
    driver.close();
  }
}
