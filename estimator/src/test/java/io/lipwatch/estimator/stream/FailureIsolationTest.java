package io.lipwatch.estimator.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.bounds.BoundMethod;
import io.lipwatch.estimator.bounds.BoundMethods;
import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.bounds.MethodContext;
import io.lipwatch.estimator.bounds.MethodOutcome;
import io.lipwatch.estimator.format.dl4j.NetworkExtractor;
import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.metrics.EstimatorMetrics;
import io.lipwatch.estimator.metrics.MeterNames;
import io.lipwatch.estimator.pipeline.EstimatePipeline;
import io.lipwatch.estimator.snapshot.ClaimCheck;
import io.lipwatch.estimator.snapshot.RestoredModel;
import io.lipwatch.estimator.snapshot.SnapshotHeaders;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotStore;
import io.lipwatch.estimator.testing.EstimatorDriver;
import io.lipwatch.estimator.testing.TestModels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.blas.BlasException;

/**
 * One failure class per test, each through the real topology: whatever goes wrong while handling one record becomes a
 * DLQ record or a warning, the stream goes on, and the next good snapshot is still estimated.
 */
class FailureIsolationTest {
  @TempDir
  Path tmp;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private EstimatorDriver stream;

  private static final byte[] GOOD = TestModels.zip(TestModels.mlp(11, Activation.RELU, 6, 5, 3));
  private static final EngineConfig FAST = EngineConfig.defaults().withBudget(Duration.ofSeconds(1))
      .withMethods(Set.of("autolip", "gram", "gradient-norm"));

  @AfterEach
  void tearDown() {
    if (stream != null) {
      stream.close();
    }
  }

  private void start(SnapshotStore store, BoundMethods methods, EngineConfig config) {
    EstimatorMetrics metrics = new EstimatorMetrics();
    metrics.bindTo(registry);
    EstimatePipeline pipeline = new EstimatePipeline(SnapshotLimits.defaults(), null, store,
        new LipschitzEngine(config.withMethods(methodNames(methods, config)), methods), null);
    stream = new EstimatorDriver(EstimatorTopology.build(pipeline, metrics), "isolation", tmp);
  }

  /** The configured methods plus every extra method of the registry (extras are named so they are selected). */
  private static Set<String> methodNames(BoundMethods methods, EngineConfig config) {
    Set<String> names = new java.util.HashSet<>(config.methods());
    methods.all().stream().filter(m -> m.name().startsWith("test-")).forEach(m -> names.add(m.name()));
    return names;
  }

  private void send(String model, long version, byte[] value, Map<String, String> extra) {
    Map<String, String> h = new HashMap<>(TestModels.headers(model, version, GOOD));
    h.putAll(extra);
    stream.send(model, value, h);
  }

  private void sendGood(String model, long version) {
    send(model, version, GOOD, Map.of());
  }

  /** A claim check to a store that fails the way native code does. */
  private void sendClaimCheck(String model) {
    byte[] cc = ("{\"uri\":\"file:///x\",\"sha256\":\"" + io.lipwatch.estimator.snapshot.Sha256.hex(GOOD) + "\",\"bytes\":"
        + GOOD.length + "}").getBytes(StandardCharsets.UTF_8);
    send(model, 2, cc, Map.of(SnapshotHeaders.CLAIM_CHECK, "true"));
  }

  private static SnapshotStore failingStore(Function<ClaimCheck, Throwable> failure) {
    return new SnapshotStore() {
      public ClaimCheck put(String model, long version, byte[] zip) {
        throw new UnsupportedOperationException();
      }

      public byte[] get(ClaimCheck claim, long max) {
        Throwable t = failure.apply(claim);
        if (t instanceof Error e) {
          throw e;
        }
        throw (RuntimeException) t;
      }
    };
  }

  private void assertNextGoodStillEstimated() {
    sendGood("after", 9);
    List<Estimate> es = stream.estimates.readValuesToList();
    assertEquals(1, es.size(), "the next good snapshot is estimated");
    assertEquals("after", es.get(0).model());
  }

  @Test
  void errorFromNativeCodeBecomesADlqRecord() {
    start(failingStore(c -> new BlasException("Failed to execute dgesvd: -6")), BoundMethods.standard(), FAST);
    sendClaimCheck("m");
    DlqRecord d = stream.dlq.readValue();
    assertEquals("estimation-failed", d.reason());
    assertTrue(d.detail().contains("BlasException") && d.detail().contains("dgesvd"), d.detail());
    assertEquals("m", d.model());
    assertNextGoodStillEstimated();
    assertEquals(1.0, registry.get(MeterNames.SNAPSHOTS_REJECTED).tags("model", "m", "reason", "estimation-failed").counter().count());
  }

  @Test
  void outOfMemoryBecomesTooLarge() {
    start(failingStore(c -> new OutOfMemoryError("Java heap space")), BoundMethods.standard(), FAST);
    sendClaimCheck("m");
    assertEquals("too-large", stream.dlq.readValue().reason());
    assertNextGoodStillEstimated();
  }

  @Test
  void stackOverflowAndRuntimeExceptionsBecomeDlqRecords() {
    start(failingStore(c -> c.bytes() % 2 == 0 ? new StackOverflowError() : new IllegalStateException("boom")),
        BoundMethods.standard(), FAST);
    sendClaimCheck("m");
    assertEquals("estimation-failed", stream.dlq.readValue().reason());
    assertNextGoodStillEstimated();
  }

  /** A bound method that throws an Error (as LAPACK does on NaN input) costs only its own figure. */
  @Test
  void throwingMethodInTheRealTopologyIsAWarningNotAStop() {
    start(null, BoundMethods.standard().with(method("test-native-crash", BoundMethod.Kind.SOUND_UPPER, ctx -> {
      throw new BlasException("Failed to execute dgesvd: -6");
    })), FAST);
    sendGood("m", 1);
    Estimate e = stream.estimates.readValue();
    assertTrue(e.warnings().stream().anyMatch(w -> w.contains("test-native-crash failed") && w.contains("BlasException")), e.warnings().toString());
    assertTrue(e.lipschitz().upper().stream().noneMatch(u -> u.method().equals("test-native-crash")));
    assertTrue(e.lipschitz().bestUpper() > 0);
    assertTrue(stream.dlq.isEmpty());
    assertNextGoodStillEstimated();
  }

  @Test
  void nonFiniteValueIsNotABound() {
    start(null, BoundMethods.standard()
        .with(method("test-nan", BoundMethod.Kind.SOUND_UPPER, ctx -> MethodOutcome.of(new UpperBound("test-nan", Double.NaN, true, 0))))
        .with(method("test-inf", BoundMethod.Kind.LOWER, ctx -> MethodOutcome.of(new LowerBound("test-inf", Double.POSITIVE_INFINITY, 0), List.of()))),
        FAST);
    sendGood("m", 1);
    Estimate e = stream.estimates.readValue();
    assertTrue(e.lipschitz().upper().stream().noneMatch(u -> u.method().equals("test-nan")));
    assertTrue(e.lipschitz().lower().stream().noneMatch(u -> u.method().equals("test-inf")));
    assertTrue(e.warnings().stream().anyMatch(w -> w.startsWith("test-nan produced NaN")), e.warnings().toString());
    assertTrue(e.warnings().stream().anyMatch(w -> w.startsWith("test-inf produced Infinity")), e.warnings().toString());
    assertNull(e.inconsistent());
  }

  /** A "lower bound" above the sound upper bound is a bug: marked, counted, and its warm start not kept. */
  @Test
  void lowerAboveUpperIsMarkedInconsistentAndCounted() {
    start(null, BoundMethods.standard().with(method("test-wrong-lower", BoundMethod.Kind.LOWER,
        ctx -> MethodOutcome.of(new LowerBound("test-wrong-lower", 1e9, 0), List.of()))), FAST);
    sendGood("m", 1);
    Estimate e = stream.estimates.readValue();
    assertEquals(Boolean.TRUE, e.inconsistent());
    assertTrue(e.warnings().stream().anyMatch(w -> w.startsWith("inconsistent bounds")), e.warnings().toString());
    assertEquals(1.0, registry.get(MeterNames.ESTIMATE_INCONSISTENT).counter().count());
    assertNull(stream.driver.<String, WarmStart>getKeyValueStore(EstimatorTopology.WARM_START_STORE).get("m"));
  }

  /** Even past the restorer's finiteness check, NaN weights only cost warnings in the engine: nothing escapes. */
  @Test
  void nanWeightsInTheEngineGiveWarningsNeverAnEscape() {
    MultiLayerNetwork net = TestModels.mlp(3, Activation.RELU, 6, 5, 3);
    net.getLayer(0).getParam("W").putScalar(0, Double.NaN);
    LipschitzEngine engine = new LipschitzEngine(EngineConfig.defaults().withBudget(Duration.ofSeconds(1)));
    var c = engine.compute(NetworkExtractor.extract(RestoredModel.of(net)), WarmStart.EMPTY, null);
    assertTrue(c.upper().stream().allMatch(u -> Double.isFinite(u.value())), c.upper().toString());
    assertTrue(c.lower().stream().allMatch(l -> Double.isFinite(l.value())), c.lower().toString());
    assertNull(c.bounds().bestUpper(), "no sound bound of a network with a NaN weight");
    assertFalse(c.warnings().isEmpty());
  }

  private static BoundMethod method(String name, BoundMethod.Kind kind, Function<MethodContext, MethodOutcome> body) {
    return new BoundMethod() {
      public String name() {
        return name;
      }

      public Kind kind() {
        return kind;
      }

      public MethodOutcome compute(MethodContext ctx) {
        return body.apply(ctx);
      }
    };
  }
}
