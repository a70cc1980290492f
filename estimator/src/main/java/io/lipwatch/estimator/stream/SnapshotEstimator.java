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
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.probes.ProbeConfig;
import io.lipwatch.estimator.probes.ProbeResult;
import io.lipwatch.estimator.probes.ProbeRunner;
import io.lipwatch.estimator.probes.ProbeSet;
import java.util.ArrayList;
import java.util.List;
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

  /** Resolves an inline value or claim check to the verified zip, then restores and estimates it (no probe set). */
  public LipschitzEngine.Result estimate(SnapshotMetadata meta, Map<String, String> headers, byte[] value, WarmStart warm) {
    return estimate(meta, headers, value, warm, null, null);
  }

  /**
   * As above, with the probe set the snapshot's {@code lipwatch.dataset} names (null when absent; {@code missingNote}
   * then says why, or is null when the snapshot names no dataset).
   */
  public LipschitzEngine.Result estimate(SnapshotMetadata meta, Map<String, String> headers, byte[] value, WarmStart warm,
      ProbeSet probeSet, String missingNote) {
    byte[] zip = resolve(meta, value);
    if (settings.signature() != null) {
      settings.signature().verify(zip, headers.get(SnapshotHeaders.SIGNATURE));
    }
    RestoredModel model = restorer.restore(zip, meta.sha256());
    return estimate(engine, settings.probes(), model, meta, warm, probeSet, missingNote);
  }

  /** Bounds, then probes on the probe set; probe failures become warnings, the bounds are kept. */
  public static LipschitzEngine.Result estimate(LipschitzEngine engine, ProbeConfig probeConfig, RestoredModel model,
      SnapshotMetadata meta, WarmStart warm, ProbeSet probeSet, String missingNote) {
    long t0 = System.nanoTime();
    double[][] lowerBoundInputs = null;
    ProbeSet set = probeSet;
    List<String> extra = new ArrayList<>();
    if (missingNote != null) {
      extra.add(missingNote);
    }
    if (set != null) {
      // real data points make better starting points for the lower bounds than random inputs
      int k = Math.min(LipschitzEngine.DEFAULT_PROBES, set.count());
      lowerBoundInputs = new double[k][];
      for (int i = 0; i < k; i++) {
        lowerBoundInputs[i] = set.input(i);
      }
    }
    LipschitzEngine.Result r;
    try {
      r = engine.estimate(model, meta, warm == null ? WarmStart.EMPTY : warm, lowerBoundInputs);
    } catch (IllegalArgumentException e) {
      // probe inputs that do not fit the network: estimate without them, say so, skip probes
      extra.add("probe set '" + set.name() + "' does not fit the network (" + e.getMessage() + "); probes skipped");
      r = engine.estimate(model, meta, warm == null ? WarmStart.EMPTY : warm);
      set = null;
    }
    Estimate e = r.estimate();
    if (set != null && probeConfig != null) {
      try {
        ProbeResult pr = ProbeRunner.run(model.model(), set, probeConfig, e.lipschitz().bestUpper());
        e = e.withProbes(pr.probes());
        extra.addAll(pr.warnings());
      } catch (RuntimeException ex) {
        extra.add("probes failed: " + ex.getMessage());
      }
    }
    if (!extra.isEmpty()) {
      List<String> w = new ArrayList<>(e.warnings());
      w.addAll(extra);
      e = e.withWarnings(w);
    }
    return new LipschitzEngine.Result(e.withSeconds((System.nanoTime() - t0) / 1e9), r.warmStart());
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
