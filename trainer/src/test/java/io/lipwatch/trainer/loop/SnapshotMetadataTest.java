package io.lipwatch.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotHeaders;
import io.lipwatch.trainer.regularize.Regularization;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotMetadataTest {
  @Test
  void snapshotsCarryTheProvenanceHeaders() {
    TrainerConfig cfg = TrainerConfig.demo("fmnist-mlp", Path.of("/x"))
        .withRegularization(Regularization.clip(0.1, 0.05, 0.9, 32));
    byte[] zip = {1, 2, 3};
    Map<String, String> h = RetrainingLoop.metadata(cfg, 4, zip, 0.35, 12, 0.91, "run-1").toHeaderMap();
    assertEquals("fmnist-mlp", h.get(SnapshotHeaders.MODEL));
    assertEquals("4", h.get(SnapshotHeaders.VERSION));
    assertEquals(Sha256.hex(zip), h.get(SnapshotHeaders.SHA256));
    assertEquals("fashion-mnist", h.get(SnapshotHeaders.DATASET));
    assertEquals("clip", h.get(SnapshotHeaders.REGULARIZER));
    assertEquals(0.35, Double.parseDouble(h.get(SnapshotHeaders.LAMBDA)), 1e-12);
    assertEquals("12", h.get(SnapshotHeaders.EPOCH));
    assertEquals(0.91, Double.parseDouble(h.get(SnapshotHeaders.TRAIN_ACCURACY)), 1e-12);
    assertEquals("run-1", h.get(SnapshotHeaders.RUN_ID));
    assertEquals("weight-decay", RetrainingLoop.metadata(cfg.withRegularization(Regularization.weightDecay(1e-3, 1e-3, 0.9)),
        1, zip, 1e-3, 1, 0.5, "r").toHeaderMap().get(SnapshotHeaders.REGULARIZER));
  }
}
