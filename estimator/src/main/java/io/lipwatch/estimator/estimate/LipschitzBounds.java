package io.lipwatch.estimator.estimate;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The {@code lipschitz} block of an estimate. {@code bestUpper} is the smallest sound upper bound (null when no
 * method produced one); {@code bestLower} the largest lower bound.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LipschitzBounds(String norm, List<UpperBound> upper, List<LowerBound> lower, Double bestUpper, Double bestLower) {

  /** Builds the block, deriving best values from the lists so they can never disagree with them. */
  public static LipschitzBounds of(List<UpperBound> upper, List<LowerBound> lower) {
    Double bestUpper = upper.stream().filter(UpperBound::sound).map(UpperBound::value)
        .filter(v -> Double.isFinite(v)).min(Double::compare).orElse(null);
    Double bestLower = lower.stream().map(LowerBound::value).filter(v -> Double.isFinite(v))
        .max(Double::compare).orElse(null);
    return new LipschitzBounds("l2", List.copyOf(upper), List.copyOf(lower), bestUpper, bestLower);
  }
}
