package io.lipwatch.estimator.stream;

import io.lipwatch.estimator.estimate.BaselinePin;

/** Serde of {@code lipwatch.baselines} values. */
public final class BaselinePinSerde extends JsonSerde<BaselinePin> {
  public BaselinePinSerde() {
    super(BaselinePin.class);
  }
}
