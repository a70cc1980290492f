package io.lipwatch.estimator.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.estimate.Architecture;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.LipschitzBounds;
import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.metrics.EstimatorMetrics;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.probes.ProbeSetCodec;
import io.lipwatch.estimator.snapshot.DirectorySnapshotStore;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotHeaders;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.testing.EstimatorDriver;
import io.lipwatch.estimator.testing.KnownLipschitz;
import io.lipwatch.estimator.testing.TestModels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.state.KeyValueStore;
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
  private EstimatorDriver stream;
  private SimpleMeterRegistry registry;

  @BeforeEach
  void setUp() {
    registry = new SimpleMeterRegistry();
    EstimatorMetrics metrics = new EstimatorMetrics();
    metrics.bindTo(registry);
    EstimatorSettings settings = new EstimatorSettings(SnapshotLimits.defaults().withInlineBytes(1024),
        EstimatorSettings.defaults().engine(), EstimatorSettings.streamProbes().withSamples(50), new DirectorySnapshotStore(tmp.resolve("store")), null);
    stream = new EstimatorDriver(EstimatorTopology.build(settings, metrics), "test-estimator", tmp.resolve("state"));
  }

  @AfterEach
  void tearDown() {
    stream.close();
  }

  private void send(String key, byte[] value, Map<String, String> headers) {
    stream.send(key, value, headers);
  }

  /**
   * A one-layer model with ‖W‖₂ = 3 exactly ({@link KnownLipschitz}) and a probe set it classifies perfectly: the
   * estimate carries the snapshot's identity and provenance, the architecture, bounds that bracket 3 tightly, and the
   * probe figures.
   */
  @Test
  void validSnapshotGetsAnEstimateWithItsKnownBoundsAndFigures() {
    MultiLayerNetwork net = KnownLipschitz.model(3, 12, 3.0, 2.0, 1.5, 0.5);
    byte[] zip = TestModels.zip(net);
    ProbeSet probes = labelledBy(net, 40, 7);
    TestInputTopic<String, byte[]> probeTopic = stream.input(Topics.PROBESETS);
    probeTopic.pipeInput("fashion-mnist", ProbeSetCodec.encode(probes));
    send("m1", zip, TestModels.headers("m1", 5, zip));
    assertTrue(stream.dlq.isEmpty(), () -> stream.dlq.readValuesToList().toString());
    var rec = stream.estimates.readRecord();
    Estimate e = rec.value();
    assertEquals("m1", rec.key());
    assertEquals("m1", e.model());
    assertEquals(5, e.version());
    assertEquals(Sha256.hex(zip), e.sha256());
    assertTrue(java.time.Instant.parse(e.estimatedAt()).isAfter(java.time.Instant.now().minusSeconds(600)), e.estimatedAt());
    assertEquals(new Architecture("MultiLayerNetwork", 1, 12 * 4 + 4, List.of(12L), 4), e.architecture());

    LipschitzBounds l = e.lipschitz();
    assertEquals("l2", l.norm());
    double best = l.upper().stream().filter(UpperBound::sound).mapToDouble(UpperBound::value).min().orElseThrow();
    assertEquals(best, l.bestUpper(), 0.0, "bestUpper is the smallest sound upper bound");
    assertEquals(l.lower().stream().mapToDouble(LowerBound::value).max().orElseThrow(), l.bestLower(), 0.0);
    // L = 3: sound bounds above it (float32 weights: 1e-6), the best within 0.1%, the lower bound at it
    for (UpperBound u : l.upper()) {
      assertTrue(!u.sound() || u.value() >= 3.0 * (1 - 1e-6), u.method() + " " + u.value() + " below the exact 3");
    }
    assertEquals(3.0, l.bestUpper(), 3e-3, "bestUpper");
    assertEquals(3.0, l.bestLower(), 3e-3, "bestLower");
    assertTrue(l.bestLower() <= 3.0 * (1 + 1e-6), "bestLower above the exact 3: " + l.bestLower());
    assertTrue(l.upper().stream().anyMatch(u -> u.method().equals("autolip") && u.sound()), l.upper().toString());

    assertEquals("fashion-mnist", e.provenance().dataset());
    assertEquals("none", e.provenance().regularizer());
    assertEquals(1, e.provenance().epoch());
    assertEquals(0.5, e.provenance().trainAccuracy());
    assertEquals("test-run", e.provenance().runId());

    Probes p = e.probes();
    assertNotNull(p, "probes with the probe set on " + Topics.PROBESETS.name() + ": " + e.warnings());
    assertEquals("fashion-mnist", p.dataset());
    assertEquals(40, p.samples());
    assertEquals(1.0, p.cleanAccuracy(), "labels are the model's own predictions");
    // global: certified at ε exactly when the margin clears √2·bestUpper·ε (margins from W and b in double);
    // the pairwise and local entries beside it certify at least as much
    for (Probes.CertifiedAccuracy c : p.certified()) {
      if (!Probes.CertifiedAccuracy.GLOBAL.equals(c.methodOrGlobal())) {
        double global = p.certified().stream().filter(g -> g.eps() == c.eps() && g.method().equals("global")).findFirst()
            .orElseThrow().accuracy();
        assertTrue(c.accuracy() >= global, c + " below the global " + global);
        continue;
      }
      double need = Math.sqrt(2) * l.bestUpper() * c.eps();
      long k = Arrays.stream(margins(net, probes)).filter(m -> m > need).count();
      assertEquals(k / 40.0, c.accuracy(), 1.0 / 40 + 1e-12, "certified at ε=" + c.eps());
    }
  }

  /** n inputs uniform in [0, 1]^12, labelled by the model's argmax (computed here from W and b). */
  static ProbeSet labelledBy(MultiLayerNetwork net, int n, long seed) {
    java.util.Random r = new java.util.Random(seed);
    float[] x = new float[n * 12];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat();
    }
    ProbeSet unlabelled = new ProbeSet("fashion-mnist", List.of(12), 4, 0, 1, new int[n], null, x);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      double[] z = logits(net, unlabelled.input(i));
      for (int k = 1; k < z.length; k++) {
        labels[i] = z[k] > z[labels[i]] ? k : labels[i];
      }
    }
    return new ProbeSet("fashion-mnist", List.of(12), 4, 0, 1, labels, null, x);
  }

  static double[] logits(MultiLayerNetwork net, double[] x) {
    double[][] w = net.getLayer(0).getParam("W").castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleMatrix();
    double[] z = net.getLayer(0).getParam("b").castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).toDoubleVector();
    for (int j = 0; j < x.length; j++) {
      for (int k = 0; k < z.length; k++) {
        z[k] += x[j] * w[j][k];
      }
    }
    return z;
  }

  static double[] margins(MultiLayerNetwork net, ProbeSet s) {
    double[] m = new double[s.count()];
    for (int i = 0; i < m.length; i++) {
      double[] z = logits(net, s.input(i));
      Arrays.sort(z);
      m[i] = z[z.length - 1] - z[z.length - 2];
    }
    return m;
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

    var reasons = stream.dlq.readValuesToList();
    assertEquals(4, reasons.size());
    assertEquals("not-a-model-zip", reasons.get(0).reason());
    assertTrue(reasons.get(1).reason().equals("not-a-model-zip") || reasons.get(1).reason().equals("parameter-mismatch"));
    assertEquals("bad-headers", reasons.get(2).reason());
    assertTrue(reasons.get(2).detail().contains("lipwatch.version"));
    assertEquals("sha256-mismatch", reasons.get(3).reason());
    assertEquals("m1", reasons.get(0).headers().get(SnapshotHeaders.MODEL));
    assertEquals(Topics.SNAPSHOTS.name(), reasons.get(0).topic());
    // the stream kept going: the good snapshot after the bad ones is estimated
    assertEquals(4, stream.estimates.readValue().version());
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
    assertEquals(1, stream.estimates.readValue().version());
    // a claim check pointing outside the store is refused
    Map<String, String> h2 = TestModels.headers("m2", 2, zip);
    h2.put(SnapshotHeaders.CLAIM_CHECK, "true");
    send("m2", ("{\"uri\":\"file:///etc/passwd\",\"sha256\":\"" + cc.sha256() + "\",\"bytes\":10}").getBytes(StandardCharsets.UTF_8), h2);
    assertEquals("claim-check", stream.dlq.readValue().reason());
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
    var list = stream.estimates.readValuesToList();
    int cold = iterations(list.get(0));
    int warm = iterations(list.get(1));
    KeyValueStore<String, WarmStart> store = stream.driver.getKeyValueStore(EstimatorTopology.WARM_START_STORE);
    assertNotNull(store.get("m3"));
    assertTrue(warm * 2 <= cold, "warm " + warm + " vs cold " + cold);
  }

  private static int iterations(Estimate e) {
    return e.lipschitz().upper().stream().filter(u -> u.method().equals("autolip-power")).findFirst().orElseThrow().iterations();
  }
}
