package io.lipwatch.monitor.stream;

import io.lipwatch.estimator.stream.JsonSerde;

/** Serde of the monitor's per-model history store. */
public final class ModelStateSerde extends JsonSerde<ModelState> {
  public ModelStateSerde() {
    super(ModelState.class);
  }
}
