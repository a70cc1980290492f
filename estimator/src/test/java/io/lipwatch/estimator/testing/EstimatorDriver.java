package io.lipwatch.estimator.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.stream.DlqRecord;
import io.lipwatch.estimator.stream.Topic;
import io.lipwatch.estimator.stream.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
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

  /** What one record became: its estimate or its DLQ record (exactly one of them is set). */
  public record Outcome(Estimate estimate, DlqRecord rejected) {
    /** "estimate", or the DLQ reason. */
    public String label() {
      return estimate != null ? "estimate" : rejected.reason();
    }
  }

  /**
   * Sends a hostile case and checks what every record owes the stream: exactly one outcome, and the kind of outcome
   * the case expects.
   */
  public Outcome send(HostileSnapshots.Case c, String where) {
    send(c.key(), c.value(), c.headers());
    List<Estimate> es = estimates.readValuesToList();
    List<DlqRecord> ds = dlq.readValuesToList();
    assertEquals(1, es.size() + ds.size(), where + ": exactly one outcome");
    switch (c.expect()) {
      case ESTIMATE -> assertEquals(1, es.size(), where + " should be estimated, got " + (ds.isEmpty() ? "" : ds.get(0)));
      case DLQ -> assertEquals(1, ds.size(), where + " should go to the DLQ, got an estimate");
      default -> { }
    }
    return es.isEmpty() ? new Outcome(null, ds.get(0)) : new Outcome(es.get(0), null);
  }

  /** The estimate JSON Schema of the repository (src/main/resources/schema). */
  public static JsonSchema estimateSchema() throws IOException {
    try (InputStream in = EstimatorDriver.class.getResourceAsStream("/schema/estimate.schema.json")) {
      return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
    }
  }

  @Override
  public void close() {
    streams.close();
  }
}
