package io.lipwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotPublisher;
import io.lipwatch.estimator.stream.EstimatorService;
import io.lipwatch.estimator.stream.EstimatorSettings;
import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.estimator.stream.TopicAdmin;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.broker.EmbeddedBroker;
import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.loop.RetrainingLoop;
import io.lipwatch.trainer.loop.TrainerConfig;
import io.lipwatch.trainer.regularize.AdmmSettings;
import io.lipwatch.trainer.regularize.Regularization;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #7's promise end to end: the trainer in ADMM enforce mode publishes snapshots through a real KRaft broker, and
 * the estimator stream — which knows nothing of the trainer — reports a verified {@code lipsdp} bound ≤ L_des for each.
 */
class AdmmSnapshotsIT {
  @TempDir
  Path tmp;

  @Test
  void enforceModeSnapshotsAreCertifiedByTheEstimator() throws Exception {
    double target = 2.5;
    try (EmbeddedBroker broker = EmbeddedBroker.start(0, null)) {
      KafkaConnection kafka = KafkaConnection.of(broker.bootstrapServers());
      TopicAdmin.ensureTopics(kafka.toMap(), 1, (short) 1);
      TrainerConfig cfg = new TrainerConfig("admm-mlp", Datasets.FASHION_MNIST, "fashion-mnist", new int[] {16, 16},
          "relu", 64, 3e-3, 1, 2, Duration.ZERO, 3000, 100, 5L, "mlp", Regularization.admmLipSdp(0.1),
          AdmmSettings.enforce(target));
      try (EstimatorService estimator = new EstimatorService(kafka, new EstimatorSettings(SnapshotLimits.defaults(),
              EstimatorSettings.defaults().engine(), EstimatorSettings.streamProbes().withSamples(50), null, null),
              tmp.resolve("estimator"), null);
          SnapshotPublisher pub = new SnapshotPublisher(kafka, SnapshotLimits.defaults(), null, null)) {
        estimator.start();
        var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        new RetrainingLoop(cfg, kafka, pub, registry).loop(); // two snapshots, then returns
        double gauge = registry.get(io.lipwatch.estimator.metrics.MeterNames.TRAINER_LIPSDP_BOUND).gauge().value();
        assertTrue(gauge > 0 && gauge <= target, "lipwatch_trainer_lipsdp_bound " + gauge);
        Map<Long, Estimate> byVersion = estimates(kafka, 2);
        assertEquals(List.of(1L, 2L), List.copyOf(byVersion.keySet()));
        for (Estimate e : byVersion.values()) {
          UpperBound sdp = e.lipschitz().upper().stream().filter(u -> u.method().equals("lipsdp")).findFirst()
              .orElseThrow(() -> new AssertionError("no lipsdp in v" + e.version() + ": " + e.warnings()));
          assertTrue(sdp.sound(), sdp.toString());
          assertTrue(sdp.value() <= target, "v" + e.version() + " lipsdp " + sdp.value() + " > target " + target);
          assertEquals("admm-lipsdp", e.provenance().regularizer());
        }
      }
    }
  }

  private static Map<Long, Estimate> estimates(KafkaConnection kafka, int count) {
    Map<String, Object> props = new HashMap<>(kafka.toMap());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "admm-it-" + System.nanoTime());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    Map<Long, Estimate> out = new TreeMap<>();
    try (KafkaConsumer<String, Estimate> c = new KafkaConsumer<>(props, Topics.ESTIMATES.keySerde().deserializer(),
        Topics.ESTIMATES.valueSerde().deserializer())) {
      c.subscribe(List.of(Topics.ESTIMATES.name()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
      while (out.size() < count && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(500)).forEach(r -> out.put(r.value().version(), r.value()));
      }
    }
    return out;
  }
}
