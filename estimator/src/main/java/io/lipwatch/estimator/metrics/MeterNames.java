package io.lipwatch.estimator.metrics;

/**
 * Every lipwatch meter name, in Micrometer's dotted form; the Prometheus names (docs/architecture.md, "Metrics") follow from
 * Micrometer's naming convention (dots to underscores, {@code _total} on counters, {@code _seconds} on timers).
 */
public final class MeterNames {
  private MeterNames() {}

  public static final String UPPER_BOUND = "lipwatch.lipschitz.upper.bound";
  public static final String LOWER_BOUND = "lipwatch.lipschitz.lower.bound";
  public static final String BEST_UPPER_BOUND = "lipwatch.lipschitz.best.upper.bound";
  public static final String BEST_LOWER_BOUND = "lipwatch.lipschitz.best.lower.bound";
  public static final String CLEAN_ACCURACY = "lipwatch.clean.accuracy.ratio";
  public static final String ROBUST_ACCURACY = "lipwatch.robust.accuracy.ratio";
  public static final String CERTIFIED_ACCURACY = "lipwatch.certified.accuracy.ratio";
  public static final String SNAPSHOT_VERSION = "lipwatch.snapshot.version";
  public static final String VERDICT = "lipwatch.verdict";
  /** A version's figure over its reference version's (label metric: best_upper, clean/robust/certified_accuracy). */
  public static final String REFERENCE_RATIO = "lipwatch.reference.ratio";
  public static final String ESTIMATION_DURATION = "lipwatch.estimation.duration";
  public static final String SNAPSHOTS = "lipwatch.snapshots";
  public static final String SNAPSHOTS_REJECTED = "lipwatch.snapshots.rejected";
  /** Estimates whose bestLower exceeded bestUpper: an internal error, marked {@code inconsistent} in the estimate. */
  public static final String ESTIMATE_INCONSISTENT = "lipwatch.estimate.inconsistent";
  /** Certified samples broken by an attack of the same probe run, by model: an internal error (certify.CertificateCheck). */
  public static final String CERTIFICATE_VIOLATIONS = "lipwatch.certificate.violations";
  public static final String ESTIMATE_AGE = "lipwatch.estimate.age";
  public static final String LAST_ESTIMATE_TIMESTAMP = "lipwatch.last.estimate.timestamp";

  public static final String TRAINER_PREFIX = "lipwatch.trainer.";
  public static final String TRAINER_LOSS = TRAINER_PREFIX + "loss";
  public static final String TRAINER_ACCURACY = TRAINER_PREFIX + "accuracy.ratio";
  public static final String TRAINER_LAMBDA = TRAINER_PREFIX + "lambda";
  public static final String TRAINER_PENALTY = TRAINER_PREFIX + "lipschitz.penalty";
  public static final String TRAINER_CLIP_ESTIMATE = TRAINER_PREFIX + "clip.estimate";
  public static final String TRAINER_EPOCH_DURATION = TRAINER_PREFIX + "epoch.duration";
  public static final String TRAINER_SNAPSHOTS = TRAINER_PREFIX + "snapshots.published";
  /** admm-lipsdp: the verified LipSDP bound of the weights at the last W̄-step (of W̄ in enforce mode, else of W). */
  public static final String TRAINER_LIPSDP_BOUND = TRAINER_PREFIX + "lipsdp.bound";
  /** Publish attempts that failed (broker unreachable, refused); the snapshot is retried next cycle. */
  public static final String TRAINER_PUBLISH_FAILURES = TRAINER_PREFIX + "snapshots.publish.failures";

  public static final String TAG_MODEL = "model";
  public static final String TAG_METHOD = "method";
  public static final String TAG_OUTCOME = "outcome";
  public static final String TAG_REASON = "reason";

  /** The one {@code model} label of every record whose model name or key is absent or invalid. */
  public static final String INVALID_MODEL_LABEL = "_invalid"; // cannot be a model name: those start with a letter or digit

  /** {@code model} itself when it is a valid model name, else {@link #INVALID_MODEL_LABEL} (bounded cardinality). */
  public static String modelLabel(String model) {
    return io.lipwatch.estimator.snapshot.SnapshotMetadata.isValidModelName(model) ? model : INVALID_MODEL_LABEL;
  }
}
