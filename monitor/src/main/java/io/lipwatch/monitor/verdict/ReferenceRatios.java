package io.lipwatch.monitor.verdict;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A version's figures over its reference's, for {@code lipwatch_reference_ratio{model,metric}}: one value per metric
 * label (a fixed set, so the label stays bounded), NaN when there is no reference or nothing to divide. bestUpper above
 * 1 is worse; an accuracy below 1 is worse (for robust and certified accuracy, the worst attack / ε both report).
 */
public final class ReferenceRatios {
  public static final String BEST_UPPER = "best_upper";
  public static final String CLEAN_ACCURACY = "clean_accuracy";
  public static final String ROBUST_ACCURACY = "robust_accuracy";
  public static final String CERTIFIED_ACCURACY = "certified_accuracy";

  private ReferenceRatios() {}

  public static Map<String, Double> of(VersionSummary current, VersionSummary reference) {
    Map<String, Double> out = new LinkedHashMap<>();
    out.put(BEST_UPPER, reference == null ? Double.NaN : ratio(current.bestUpper(), reference.bestUpper()));
    out.put(CLEAN_ACCURACY, reference == null ? Double.NaN : ratio(current.cleanAccuracy(), reference.cleanAccuracy()));
    out.put(ROBUST_ACCURACY, reference == null ? Double.NaN : worst(current.robustAccuracy(), reference.robustAccuracy()));
    out.put(CERTIFIED_ACCURACY, reference == null ? Double.NaN : worst(current.certifiedAccuracy(), reference.certifiedAccuracy()));
    return out;
  }

  private static double ratio(Double value, Double base) {
    return value == null || base == null || !(base > 0) ? Double.NaN : value / base;
  }

  private static double worst(Map<String, Double> current, Map<String, Double> reference) {
    double min = Double.NaN;
    for (Map.Entry<String, Double> e : current.entrySet()) {
      double r = ratio(e.getValue(), reference.get(e.getKey()));
      if (!Double.isNaN(r) && (Double.isNaN(min) || r < min)) {
        min = r;
      }
    }
    return min;
  }
}
