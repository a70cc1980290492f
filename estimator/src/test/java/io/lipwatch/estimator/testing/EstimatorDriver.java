package io.lipwatch.estimator.testing;

import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.stream.DlqRecord;
import io.lipwatch.estimator.stream.Topic;
import io.lipwatch.estimator.stream.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/** The estimator topology under the test driver: snapshots in, estimates and DLQ records out. */
public final class EstimatorDriver implements AutoCloseable {
  private final StreamsDriver streams;
  public final TopologyTestDriver driver;
  public final TestInputTopic<String, byte[]> snapshots;
  public final TestOutputTopic<String, Estimate> estimates;
  public final TestOutputTopic<String, DlqRecord> dlq;

  /** {@code topology}: {@code EstimatorTopology.build(...)} with the settings or pipeline under test. */
  public EstimatorDriver(Topology topology, String applicationId, Path stateDir) {
    streams = new StreamsDriver(topology, applicationId, stateDir);
    driver = streams.driver;
    snapshots = streams.input(Topics.SNAPSHOTS);
    estimates = streams.output(Topics.ESTIMATES);
    dlq = streams.output(Topics.SNAPSHOTS_DLQ);
  }

  /** Another topic the topology reads (probe sets, say). */
  public <K, V> TestInputTopic<K, V> input(Topic<K, V> t) {
    return streams.input(t);
  }

  /** A snapshot record with its headers as a producer sends them (UTF-8 values). */
  public void send(String key, byte[] value, Map<String, String> headers) {
    RecordHeaders h = new RecordHeaders();
    headers.forEach((k, v) -> h.add(k, v.getBytes(StandardCharsets.UTF_8)));
    snapshots.pipeInput(new TestRecord<>(key, value, h)); // a stopped stream would throw here
  }

  @Override
  public void close() {
    streams.close();
  }
}
