package io.lipwatch.monitor.metrics;

import io.lipwatch.estimator.metrics.MeterNames;
import io.lipwatch.estimator.snapshot.RejectReason;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Bounded values for what arrives from Kafka: a record key or a DLQ reason is untrusted text, and every distinct label
 * value is a series kept for the life of the process. The monitor labels exactly as the estimator does: a model name
 * that passes the documented rule ({@link SnapshotMetadata#MODEL_NAME}), else {@code _invalid}; a reason that is one of
 * {@link RejectReason}'s labels, else "other".
 */
public final class MetricLabels {
  /** Label of a record whose model is absent, untrusted, too long or outside the charset (never a valid name). */
  public static final String INVALID_MODEL = MeterNames.INVALID_MODEL_LABEL;
  /** Label of a reason that is not one of {@link RejectReason}'s labels. */
  public static final String OTHER_REASON = "other";

  private static final Set<String> REASONS =
      Arrays.stream(RejectReason.values()).map(RejectReason::label).collect(Collectors.toUnmodifiableSet());

  private MetricLabels() {}

  /** True when {@code name} is a valid model name (safe as a label value and as a state-store key). */
  public static boolean validModelName(String name) {
    return SnapshotMetadata.isValidModelName(name);
  }

  /** The model label: the name itself when valid, else {@link #INVALID_MODEL}. */
  public static String model(String name) {
    return MeterNames.modelLabel(name);
  }

  /** The reason: a {@link RejectReason} label as it is, anything else (absent, unknown, garbage) "other". */
  public static String reason(String reason) {
    return reason != null && REASONS.contains(reason) ? reason : OTHER_REASON;
  }
}
