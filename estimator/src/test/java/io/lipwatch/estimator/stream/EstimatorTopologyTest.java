package io.lipwatch.estimator.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.metrics.EstimatorMetrics;
import io.lipwatch.estimator.snapshot.DirectorySnapshotStore;
import io.lipwatch.estimator.snapshot.SnapshotHeaders;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.testing.TestModels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.factory.Nd4j;

class EstimatorTopologyTest {
  @TempDir
  Path tmp;
  private TopologyTestDriver driver;
  private TestInputTopic<String, byte[]> snapshots;
  private TestOutputTopic<String, Estimate> estimates;
  private TestOutputTopic<String, DlqRecord> dlq;
  private SimpleMeterRegistry registry;

  @BeforeEach
  void setUp() {
    registry = new SimpleMeterRegistry();
    EstimatorMetrics metrics = new EstimatorMetrics();
    metrics.bindTo(registry);
    EstimatorSettings settings = new EstimatorSettings(SnapshotLimits.defaults().withInlineBytes(1024),
        EstimatorSettings.defaults().engine(), EstimatorSettings.streamProbes().withSamples(50), new DirectorySnapshotStore(tmp.resolve("store")), null);
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "test-estimator");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    p.put(StreamsConfig.STATE_DIR_CONFIG, tmp.resolve("state").toString());
    driver = new TopologyTestDriver(EstimatorTopology.build(settings, metrics), p);
    snapshots = driver.createInputTopic(Topics.SNAPSHOTS.name(), Topics.SNAPSHOTS.keySerde().serializer(),
        Topics.SNAPSHOTS.valueSerde().serializer());
    estimates = driver.createOutputTopic(Topics.ESTIMATES.name(), Topics.ESTIMATES.keySerde().deserializer(),
        Topics.ESTIMATES.valueSerde().deserializer());
    dlq = driver.createOutputTopic(Topics.SNAPSHOTS_DLQ.name(), Topics.SNAPSHOTS_DLQ.keySerde().deserializer(),
        Topics.SNAPSHOTS_DLQ.valueSerde().deserializer());
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  private void send(String key, byte[] value, Map<String, String> headers) {
    RecordHeaders h = new RecordHeaders();
    headers.forEach((k, v) -> h.add(k, v.getBytes(StandardCharsets.UTF_8)));
    snapshots.pipeInput(new TestRecord<>(key, value, h));
  }

  @Test
  void validSnapshotGetsAnEstimateWithASoundBestUpper() {
    byte[] zip = TestModels.zip(TestModels.mlp(3, Activation.RELU, 12, 8, 4));
    send("m1", zip, TestModels.headers("m1", 5, zip));
    assertTrue(dlq.isEmpty());
    var rec = estimates.readRecord();
    Estimate e = rec.value();
    assertEquals("m1", rec.key());
    assertEquals(5, e.version());
    assertNotNull(e.lipschitz().bestUpper());
    assertTrue(Double.isFinite(e.lipschitz().bestUpper()));
    UpperBound autolip = e.lipschitz().upper().stream().filter(u -> u.method().equals("autolip")).findFirst().orElseThrow();
    assertTrue(autolip.sound());
    assertEquals("fashion-mnist", e.provenance().dataset());
  }

  @Test
  void badSnapshotsGoToTheDlqWithReasonsAndTheStreamKeepsGoing() {
    byte[] zip = TestModels.zip(TestModels.mlp(3, Activation.RELU, 12, 8, 4));
    byte[] random = TestModels.randomBytes(1, 4000);
    send("m1", random, TestModels.headers("m1", 1, random));
    byte[] truncated = Arrays.copyOf(zip, zip.length / 2);
    send("m1", truncated, TestModels.headers("m1", 2, truncated));
    send("m1", zip, Map.of(SnapshotHeaders.MODEL, "m1")); // missing version and sha256
    Map<String, String> wrongSha = TestModels.headers("m1", 3, zip);
    wrongSha.put(SnapshotHeaders.SHA256, "b".repeat(64));
    send("m1", zip, wrongSha);
    send("m1", zip, TestModels.headers("m1", 4, zip));

    var reasons = dlq.readValuesToList();
    assertEquals(4, reasons.size());
    assertEquals("not-a-model-zip", reasons.get(0).reason());
    assertTrue(reasons.get(1).reason().equals("not-a-model-zip") || reasons.get(1).reason().equals("parameter-mismatch"));
    assertEquals("bad-headers", reasons.get(2).reason());
    assertTrue(reasons.get(2).detail().contains("lipwatch.version"));
    assertEquals("sha256-mismatch", reasons.get(3).reason());
    assertEquals("m1", reasons.get(0).headers().get(SnapshotHeaders.MODEL));
    assertEquals(Topics.SNAPSHOTS.name(), reasons.get(0).topic());
    // the stream kept going: the good snapshot after the bad ones is estimated
    assertEquals(4, estimates.readValue().version());
    assertEquals(1.0, registry.get("lipwatch.snapshots.rejected").tag("reason", "sha256-mismatch").counter().count());
  }

  @Test
  void claimCheckSnapshotsAreFetchedFromTheStore() throws Exception {
    byte[] zip = TestModels.zip(TestModels.mlp(3, Activation.RELU, 12, 8, 4));
    var store = new DirectorySnapshotStore(tmp.resolve("store"));
    var cc = store.put("m2", 1, zip);
    Map<String, String> h = TestModels.headers("m2", 1, zip);
    h.put(SnapshotHeaders.CLAIM_CHECK, "true");
    send("m2", cc.toJson(), h);
    assertEquals(1, estimates.readValue().version());
    // a claim check pointing outside the store is refused
    Map<String, String> h2 = TestModels.headers("m2", 2, zip);
    h2.put(SnapshotHeaders.CLAIM_CHECK, "true");
    send("m2", ("{\"uri\":\"file:///etc/passwd\",\"sha256\":\"" + cc.sha256() + "\",\"bytes\":10}").getBytes(StandardCharsets.UTF_8), h2);
    assertEquals("claim-check", dlq.readValue().reason());
  }

  @Test
  void warmStartIsKeptPerModelAndCutsIterations() {
    MultiLayerNetwork net = TestModels.mlp(3, Activation.RELU, 40, 30, 10);
    byte[] zip1 = TestModels.zip(net);
    send("m3", zip1, TestModels.headers("m3", 1, zip1));
    // the next snapshot: slightly perturbed weights, as after one more epoch
    for (var layer : net.getLayers()) {
      var w = layer.getParam("W");
      layer.setParam("W", w.add(Nd4j.randn(w.dataType(), w.shape()).muli(1e-3)));
    }
    byte[] zip2 = TestModels.zip(net);
    send("m3", zip2, TestModels.headers("m3", 2, zip2));
    var list = estimates.readValuesToList();
    int cold = iterations(list.get(0));
    int warm = iterations(list.get(1));
    KeyValueStore<String, WarmStart> store = driver.getKeyValueStore(EstimatorTopology.WARM_START_STORE);
    assertNotNull(store.get("m3"));
    assertTrue(warm * 2 <= cold, "warm " + warm + " vs cold " + cold);
  }

  private static int iterations(Estimate e) {
    return e.lipschitz().upper().stream().filter(u -> u.method().equals("autolip-power")).findFirst().orElseThrow().iterations();
  }
}
