package io.lipwatch.estimator.bounds;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * What one snapshot's estimation leaves for the next snapshot of the same model: the last right singular vector of
 * each weighted stage (by stage name) and the best input pairs found by pair search. Consecutive snapshots have
 * similar weights, so iterations started here converge in far fewer steps.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record WarmStart(Map<String, double[]> singularVectors, List<double[][]> pairs) {
  public static final WarmStart EMPTY = new WarmStart(Map.of(), List.of());

  public WarmStart {
    singularVectors = singularVectors == null ? Map.of() : Map.copyOf(singularVectors);
    pairs = pairs == null ? List.of() : List.copyOf(pairs);
  }

  public boolean isEmpty() {
    return singularVectors.isEmpty() && pairs.isEmpty();
  }
}
