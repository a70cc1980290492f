package io.lipwatch.monitor.stream;

import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.estimator.snapshot.SnapshotHeaders;
import io.lipwatch.estimator.stream.DlqRecord;
import io.lipwatch.monitor.metrics.MetricLabels;
import io.lipwatch.monitor.metrics.RobustnessMetrics;
import io.lipwatch.monitor.verdict.VerdictPolicy;
import io.lipwatch.monitor.verdict.VersionSummary;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * For each DLQ record: the rejection count (bounded model label), a FAIL verdict on lipwatch.verdicts for the rejected
 * version, and for a known model an entry in its history and {@code lipwatch_verdict} at 2.
 *
 * <p>The model is the DLQ record's {@code model} field, which the estimator fills only with a trusted name (valid, and
 * the key agrees with the {@code lipwatch.model} header); the raw key is never used. A model is known when the monitor
 * has estimated one of its versions. Only a known model gets history and a verdict gauge: a DLQ record costs its sender
 * nothing, so names seen only there would let any producer on lipwatch.snapshots grow the store. A validly named model
 * without estimates still gets its FAIL verdict on the topic (one record per DLQ record, no state), so a CD gate waiting
 * on the first version of a new model stops it too. The version comes from the {@code lipwatch.version} header, ASCII
 * digits only; without it no verdict is possible.
 */
final class RejectedProcessor implements Processor<String, DlqRecord, String, Verdict> {
  private static final Logger LOG = LoggerFactory.getLogger(RejectedProcessor.class);
  private static final Pattern ASCII_DIGITS = Pattern.compile("[0-9]{1,18}");
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
  private final VerdictPolicy policy;
  private final RobustnessMetrics metrics;
  private ProcessorContext<String, Verdict> context;
  private KeyValueStore<String, ModelState> history;

  RejectedProcessor(VerdictPolicy policy, RobustnessMetrics metrics) {
    this.policy = policy;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, Verdict> ctx) {
    context = ctx;
    history = ctx.getStateStore(MonitorTopology.HISTORY_STORE);
  }

  @Override
  public void process(Record<String, DlqRecord> rec) {
    DlqRecord d = rec.value();
    String reason = MetricLabels.reason(d == null ? null : d.reason());
    String model = d == null ? null : d.model();
    metrics.rejected(model);
    if (!MetricLabels.validModelName(model)) {
      return;
    }
    ModelState state = history.get(model);
    boolean known = state != null && state.hasEstimate();
    Map<String, String> headers = d == null || d.headers() == null ? Map.of() : d.headers();
    Long version = version(headers.get(SnapshotHeaders.VERSION));
    if (version == null) {
      LOG.warn("rejected snapshot of {} ({}) without a valid {} header: no verdict", model, reason, SnapshotHeaders.VERSION);
      return;
    }
    if (known && state.findEstimated(version) != null) {
      // versions are immutable: the estimated copy and its verdict stand, a later broken copy does not replace them
      LOG.warn("{} v{} was already estimated; a rejected copy ({}) leaves its verdict as it is", model, version, reason);
      return;
    }
    Verdict v = policy.rejected(model, version, reason, d == null ? null : d.detail());
    if (known) {
      VersionSummary s = VersionSummary.rejected(version, sha256(headers.get(SnapshotHeaders.SHA256)), reason,
          instant(d == null ? null : d.failedAt()));
      VersionSummary latest = state.latest();
      history.put(model, state.with(s.withVerdict(v), state.lastPassVersion()));
      if (latest == null || version >= latest.version()) {
        metrics.verdict(model, v); // the gauge is the verdict of the newest version, not of a late old one
      }
    }
    context.forward(new Record<>(model, v, rec.timestamp()));
    LOG.warn("{} v{}: FAIL, rejected by the estimator ({})", model, version, reason);
  }

  /** ASCII digits only (Long.parseLong alone also takes '+12' and full-width digits), as the estimator reads it. */
  static Long version(String header) {
    if (header == null) {
      return null;
    }
    String v = header.trim();
    return ASCII_DIGITS.matcher(v).matches() ? Long.parseLong(v) : null;
  }

  private static String sha256(String header) {
    // either case, as the estimator accepts it; kept lower case
    String h = header == null ? null : header.trim().toLowerCase(Locale.ROOT);
    return h != null && SHA256_HEX.matcher(h).matches() ? h : null;
  }

  private static String instant(String s) {
    if (s == null || s.length() > 40) {
      return null;
    }
    try {
      return Instant.parse(s).toString();
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
