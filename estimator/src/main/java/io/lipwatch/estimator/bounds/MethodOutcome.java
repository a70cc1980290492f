package io.lipwatch.estimator.bounds;

import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.UpperBound;
import java.util.List;
import java.util.Map;

/**
 * What a {@link BoundMethod} produced: an upper or a lower value (or neither, when it did not apply), what to keep for
 * the next snapshot of the model (singular vectors, input pairs), and warnings.
 */
public record MethodOutcome(UpperBound upper, LowerBound lower, Map<String, double[]> vectors, List<double[][]> pairs,
    List<String> warnings) {

  public MethodOutcome {
    vectors = vectors == null ? Map.of() : vectors;
    pairs = pairs == null ? List.of() : pairs;
    warnings = warnings == null ? List.of() : List.copyOf(warnings);
  }

  public static MethodOutcome of(UpperBound upper) {
    return new MethodOutcome(upper, null, null, null, null);
  }

  public static MethodOutcome of(LowerBound lower, List<double[][]> pairs) {
    return new MethodOutcome(null, lower, null, pairs, null);
  }

  /** Nothing computed; the warnings (possibly none) say why. */
  public static MethodOutcome skipped(List<String> warnings) {
    return new MethodOutcome(null, null, null, null, warnings);
  }
}
