package io.lipwatch.estimator.stream;

import io.lipwatch.estimator.estimate.Estimate;

/** Serde of {@code lipwatch.estimates} values (the estimate JSON of schema/estimate.schema.json). */
public final class EstimateSerde extends JsonSerde<Estimate> {
  public EstimateSerde() {
    super(Estimate.class);
  }
}
