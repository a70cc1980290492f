package io.lipwatch.estimator.estimate;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One upper estimate of the Lipschitz constant. {@code sound} is true only when the value is a proven upper bound;
 * {@code iterations} is set for iterative methods (and shows the effect of warm starts). {@code converged} is set by
 * estimates that iterate toward a value: false means the budget stopped them first (the value may be far off, and the
 * monitor does not export it as a gauge); null means not applicable.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UpperBound(String method, double value, boolean sound, double seconds, Integer iterations, String note,
    Boolean converged) {
  public UpperBound(String method, double value, boolean sound, double seconds) {
    this(method, value, sound, seconds, null, null, null);
  }

  public UpperBound(String method, double value, boolean sound, double seconds, Integer iterations, String note) {
    this(method, value, sound, seconds, iterations, note, null);
  }
}
