package io.lipwatch.estimator.stream;

import io.lipwatch.estimator.estimate.Estimate;

/** Serde of {@code lipwatch.estimates} values (design section 4 JSON). */
public final class EstimateSerde extends JsonSerde<Estimate> {
  public EstimateSerde() {
    super(Estimate.class);
  }
}
