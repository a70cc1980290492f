package io.lipwatch.estimator.stream;

import io.lipwatch.estimator.pipeline.EstimatePipeline;
import io.lipwatch.estimator.bounds.WarmStart;
import io.lipwatch.estimator.metrics.EstimatorMetrics;
import io.lipwatch.estimator.snapshot.RejectReason;
import io.lipwatch.estimator.snapshot.SnapshotHeaders;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.snapshot.SnapshotRejectedException;
import io.lipwatch.estimator.probes.ProbeSet;
import io.lipwatch.estimator.probes.ProbeSetCodec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Estimates each snapshot; forwards the estimate to the estimates sink or a reasoned record to the DLQ sink. */
final class EstimateProcessor implements Processor<String, byte[], String, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(EstimateProcessor.class);

  private final EstimatePipeline pipeline;
  private final EstimatorMetrics metrics;
  private ProcessorContext<String, Object> context;
  private KeyValueStore<String, WarmStart> warmStarts;
  private KeyValueStore<String, byte[]> probeSets;
  /** The last decoded probe set, reused while the stored bytes are unchanged (decoding copies megabytes). */
  private String cachedName;
  private int cachedHash;
  private ProbeSet cached;

  EstimateProcessor(EstimatePipeline pipeline, EstimatorMetrics metrics) {
    this.pipeline = pipeline;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, Object> ctx) {
    this.context = ctx;
    this.warmStarts = ctx.getStateStore(EstimatorTopology.WARM_START_STORE);
    this.probeSets = ctx.getStateStore(EstimatorTopology.PROBESET_STORE);
  }

  /** The named probe set, or null with the reason added to {@code notes}. */
  private ProbeSet probeSet(String name, List<String> notes) {
    if (name == null) {
      return null;
    }
    byte[] bytes = probeSets.get(name);
    if (bytes == null) {
      notes.add("probe set '" + name + "' (lipwatch.dataset) is not on " + Topics.PROBESETS.name() + "; bounds only, no probes");
      return null;
    }
    int hash = java.util.Arrays.hashCode(bytes);
    if (!name.equals(cachedName) || hash != cachedHash) {
      try {
        cached = ProbeSetCodec.decode(bytes);
      } catch (IllegalArgumentException e) {
        notes.add("probe set '" + name + "' is unreadable (" + e.getMessage() + "); bounds only, no probes");
        return null;
      }
      cachedName = name;
      cachedHash = hash;
    }
    return cached;
  }

  @Override
  public void process(Record<String, byte[]> rec) {
    Map<String, String> headers = SnapshotHeaders.toMap(rec.headers());
    String model = trustedModel(rec.key(), headers);
    try {
      SnapshotMetadata meta = SnapshotMetadata.fromHeaders(headers, rec.key());
      model = meta.model();
      WarmStart warm = warmStarts.get(meta.model());
      List<String> notes = new ArrayList<>();
      ProbeSet set = probeSet(meta.dataset(), notes);
      EstimatePipeline.Result result = pipeline.run(meta, headers, rec.value(), warm, set, notes);
      if (!result.estimate().hasInconsistentBounds()) {
        warmStarts.put(meta.model(), result.warmStart()); // never warm-start from a run that contradicted itself
      } else {
        metrics.inconsistent();
      }
      context.forward(new Record<String, Object>(meta.model(), result.estimate(), rec.timestamp()), EstimatorTopology.ESTIMATES_SINK);
      metrics.estimated(result.estimate());
      LOG.info("estimated {} v{}: bestUpper={} in {}s", meta.model(), meta.version(),
          result.estimate().lipschitz().bestUpper(), String.format("%.3f", result.estimate().seconds()));
    } catch (SnapshotRejectedException e) {
      reject(rec, model, headers, e.reason(), e.detail());
    } catch (OutOfMemoryError e) {
      reject(rec, model, headers, RejectReason.TOO_LARGE, "out of memory while restoring or estimating: " + e.getMessage());
    } catch (Throwable e) {
      // Errors too: native code (ND4J's BlasException) throws them, and one that escaped would park
      // exactly-once processing on this record for good
      LOG.warn("estimation of {} failed", model, e);
      reject(rec, model, headers, RejectReason.ESTIMATION_FAILED, describe(e));
    }
  }

  /**
   * The model a record is about, as far as it can be trusted before its headers are fully checked: the key when it is
   * a valid model name and agrees with the {@code lipwatch.model} header, else null. Metric labels and the DLQ
   * record's {@code model} field use it, so a hostile key never becomes a label.
   */
  static String trustedModel(String key, Map<String, String> headers) {
    String header = headers.get(SnapshotHeaders.MODEL);
    boolean agree = key != null && header != null && key.equals(header.trim());
    return agree && SnapshotMetadata.isValidModelName(key) ? key : null;
  }

  /** The failure as one line: type and message of the throwable and of its root cause. */
  static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String d = e.getClass().getSimpleName() + ": " + e.getMessage();
    if (root != e) {
      d += " (cause " + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
    }
    return d.length() > 500 ? d.substring(0, 500) + "…" : d;
  }

  private void reject(Record<String, byte[]> rec, String model, Map<String, String> headers, RejectReason reason, String detail) {
    RecordMetadata m = context.recordMetadata().orElse(null);
    DlqRecord dlq = new DlqRecord(reason.label(), detail, headers, model, Instant.now().toString(),
        m == null ? null : m.topic(), m == null ? null : m.partition(), m == null ? null : m.offset());
    // the DLQ record keeps the raw key (it is data, and the producer's to see); labels only take the trusted model
    context.forward(new Record<String, Object>(rec.key(), dlq, rec.timestamp()), EstimatorTopology.DLQ_SINK);
    metrics.rejected(reason, model, 1);
    LOG.warn("snapshot of {} rejected ({}): {}", model == null ? SnapshotMetadata.quote(rec.key()) : model, reason.label(), detail);
  }
}
