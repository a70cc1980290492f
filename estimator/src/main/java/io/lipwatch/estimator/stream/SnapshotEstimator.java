package io.lipwatch.estimator.stream;

import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.snapshot.ClaimCheck;
import io.lipwatch.estimator.snapshot.RejectReason;
import io.lipwatch.estimator.snapshot.RestoredModel;
import io.lipwatch.estimator.snapshot.SafeModelRestorer;
import io.lipwatch.estimator.snapshot.SnapshotHeaders;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.snapshot.SnapshotRejectedException;
import java.util.Map;

/**
 * Turns one snapshot record (headers and value) into an estimate: the whole path of design sections 3–5 without
 * Kafka, so the stream processor and tests share it.
 */
public final class SnapshotEstimator {
  private final EstimatorSettings settings;
  private final SafeModelRestorer restorer;
  private final LipschitzEngine engine;

  public SnapshotEstimator(EstimatorSettings settings) {
    this.settings = settings;
    this.restorer = new SafeModelRestorer(settings.limits());
    this.engine = new LipschitzEngine(settings.engine());
  }

  /** Parses and checks the headers. */
  public SnapshotMetadata metadata(Map<String, String> headers, String key) {
    return SnapshotMetadata.fromHeaders(headers, key);
  }

  /** Resolves an inline value or claim check to the verified zip, then restores and estimates it. */
  public LipschitzEngine.Result estimate(SnapshotMetadata meta, Map<String, String> headers, byte[] value, WarmStart warm) {
    byte[] zip = resolve(meta, value);
    if (settings.signature() != null) {
      settings.signature().verify(zip, headers.get(SnapshotHeaders.SIGNATURE));
    }
    RestoredModel model = restorer.restore(zip, meta.sha256());
    return engine.estimate(model, meta, warm == null ? WarmStart.EMPTY : warm);
  }

  private byte[] resolve(SnapshotMetadata meta, byte[] value) {
    if (!meta.claimCheck()) {
      if (value != null && value.length > settings.limits().maxRecordBytes()) {
        throw new SnapshotRejectedException(RejectReason.TOO_LARGE, "record value is " + value.length + " bytes");
      }
      return value;
    }
    ClaimCheck cc = ClaimCheck.parse(value);
    if (settings.store() == null) {
      throw new SnapshotRejectedException(RejectReason.CLAIM_CHECK,
          "snapshot is a claim check but this estimator has no snapshot store configured (--snapshot-store)");
    }
    if (!meta.sha256().equalsIgnoreCase(cc.sha256())) {
      throw new SnapshotRejectedException(RejectReason.SHA256_MISMATCH, "claim check sha256 differs from header lipwatch.sha256");
    }
    return settings.store().get(cc, settings.limits().maxRecordBytes());
  }
}
