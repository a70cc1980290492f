package io.lipwatch.estimator.metrics;

import io.lipwatch.estimator.certify.CertificateCheck;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.snapshot.RejectReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;

/** The estimator's own meters: estimation time per method and rejected snapshots per reason. */
public final class EstimatorMetrics implements MeterBinder {
  /** Fixed histogram buckets: a dozen series per method instead of Micrometer's ~70 percentile buckets. */
  private static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5),
      Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(300)};

  private MeterRegistry registry;
  private Counter inconsistent;

  @Override
  public void bindTo(MeterRegistry r) {
    this.registry = r;
    for (RejectReason reason : RejectReason.values()) {
      // every reason at zero so rate() and increase() work from the first rejection
      rejected(reason, MeterNames.INVALID_MODEL_LABEL);
    }
    inconsistent = Counter.builder(MeterNames.ESTIMATE_INCONSISTENT)
        .description("Estimates whose best lower bound exceeded the best sound upper bound (an internal error)")
        .register(r);
  }

  /**
   * Counts a rejected snapshot under its model name when that name is valid, else under
   * {@link MeterNames#INVALID_MODEL_LABEL}: labels never carry raw, unvalidated input.
   */
  public void rejected(RejectReason reason, String model, int n) {
    if (registry != null && n > 0) {
      rejected(reason, MeterNames.modelLabel(model)).increment(n);
    }
  }

  private Counter rejected(RejectReason reason, String modelLabel) {
    return Counter.builder(MeterNames.SNAPSHOTS_REJECTED).description("Snapshots sent to the DLQ, by model and reason")
        .tags(MeterNames.TAG_MODEL, modelLabel, MeterNames.TAG_REASON, reason.label()).register(registry);
  }

  /** Counts an estimate whose bounds contradict each other. */
  public void inconsistent() {
    if (inconsistent != null) {
      inconsistent.increment();
    }
  }

  public void estimated(Estimate e) {
    if (registry == null) {
      return;
    }
    // a model's rejection counters exist at zero from its first estimate on, so increase() sees its first rejection
    // (a counter created at 1 shows no increase)
    for (RejectReason reason : RejectReason.values()) {
      rejected(reason, MeterNames.modelLabel(e.model()));
    }
    // per model, at zero from the model's first estimate on (as above, so increase() sees the first violation)
    Counter violations = Counter.builder(MeterNames.CERTIFICATE_VIOLATIONS)
        .description("Certified probe samples broken by an attack of the same run (an internal error), by model")
        .tag(MeterNames.TAG_MODEL, MeterNames.modelLabel(e.model())).register(registry);
    long v = CertificateCheck.violationsIn(e.warnings());
    if (v > 0) {
      violations.increment(v);
    }
    for (UpperBound u : e.lipschitz().upper()) {
      duration(u.method()).record(Duration.ofNanos((long) (u.seconds() * 1e9)));
    }
    for (LowerBound l : e.lipschitz().lower()) {
      duration(l.method()).record(Duration.ofNanos((long) (l.seconds() * 1e9)));
    }
    duration("total").record(Duration.ofNanos((long) (e.seconds() * 1e9)));
  }

  private Timer duration(String method) {
    return Timer.builder(MeterNames.ESTIMATION_DURATION).description("Time to compute one bound, by method ('total': whole estimate)")
        .tag(MeterNames.TAG_METHOD, method).serviceLevelObjectives(BUCKETS).register(registry);
  }
}
