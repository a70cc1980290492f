package io.lipwatch.estimator.estimate;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One upper estimate of the Lipschitz constant. {@code sound} is true only when the value is a proven upper bound;
 * {@code iterations} is set for iterative methods (and shows the effect of warm starts).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UpperBound(String method, double value, boolean sound, double seconds, Integer iterations, String note) {
  public UpperBound(String method, double value, boolean sound, double seconds) {
    this(method, value, sound, seconds, null, null);
  }
}
