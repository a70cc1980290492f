package io.lipwatch.estimator.stream;

import io.lipwatch.estimator.estimate.Verdict;

/** Serde of {@code lipwatch.verdicts} values. */
public final class VerdictSerde extends JsonSerde<Verdict> {
  public VerdictSerde() {
    super(Verdict.class);
  }
}
