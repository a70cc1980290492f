package io.lipwatch.estimator.estimate;

import com.fasterxml.jackson.annotation.JsonInclude;

/** One lower bound of the Lipschitz constant: a value attained by the network, so always a true lower bound. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LowerBound(String method, double value, double seconds, Integer iterations, String note) {
  public LowerBound(String method, double value, double seconds) {
    this(method, value, seconds, null, null);
  }
}
