package io.lipwatch.estimator.stream;

import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotSignature;
import io.lipwatch.estimator.snapshot.SnapshotStore;

/**
 * Everything the estimator topology needs besides Kafka: limits, engine settings, the snapshot store for claim checks
 * (null: claim checks are rejected) and the HMAC verifier (null: signatures not enforced).
 */
public record EstimatorSettings(SnapshotLimits limits, EngineConfig engine, SnapshotStore store, SnapshotSignature signature) {
  public static EstimatorSettings defaults() {
    return new EstimatorSettings(SnapshotLimits.defaults(), EngineConfig.defaults(), null, null);
  }
}
