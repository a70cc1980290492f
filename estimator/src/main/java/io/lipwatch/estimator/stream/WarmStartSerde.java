package io.lipwatch.estimator.stream;

import io.lipwatch.estimator.bounds.WarmStart;

/** Serde of the per-model warm-start state store. */
public final class WarmStartSerde extends JsonSerde<WarmStart> {
  public WarmStartSerde() {
    super(WarmStart.class);
  }
}
