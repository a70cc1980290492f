package io.lipwatch.monitor.verdict;

import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.estimator.estimate.Verdict.Check;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which paired accuracy checks of one verdict show a drop beyond sampling noise. Per verdict (the default): Holm's
 * step-down procedure over the verdict's distinct McNemar tests at α, so noise alone makes a verdict WARN or FAIL with
 * probability at most α however many checks it holds (about ten: clean, each attack and each radius, against the step
 * baseline and the reference); a step and a reference check against the same version are the same test and count once.
 * Per check: each p-value against α on its own.
 *
 * <p>A paired check that exceeds its threshold but is not significant becomes PASS, its message saying so; the others
 * keep their threshold status. Unpaired checks and the bound checks are left as they are.
 */
final class Significance {
  private Significance() {}

  static List<Check> apply(List<Check> checks, SignificancePolicy policy) {
    Double alpha = policy.alpha();
    if (alpha == null) {
      return checks;
    }
    // distinct tests: the same figure against the same version, whether as step or reference check
    Map<String, Double> tests = new LinkedHashMap<>();
    for (Check c : checks) {
      if (McNemar.EXACT.equals(c.test()) && c.pValue() != null) {
        tests.put(testKey(c), c.pValue());
      }
    }
    int m = tests.size();
    Map<String, Double> level = new LinkedHashMap<>();
    Map<String, Boolean> significant = new LinkedHashMap<>();
    List<Map.Entry<String, Double>> ranked = new ArrayList<>(tests.entrySet());
    ranked.sort(Map.Entry.comparingByValue());
    boolean rejecting = true;
    for (int rank = 0; rank < m; rank++) {
      Map.Entry<String, Double> t = ranked.get(rank);
      double at = policy.perVerdict() ? alpha / (m - rank) : alpha;
      // Holm steps down: once one p-value misses its level, no larger one is significant
      boolean ok = t.getValue() < at;
      rejecting = policy.perVerdict() ? rejecting && ok : ok;
      level.put(t.getKey(), at);
      significant.put(t.getKey(), rejecting);
    }
    List<Check> out = new ArrayList<>(checks.size());
    for (Check c : checks) {
      String key = McNemar.EXACT.equals(c.test()) && c.pValue() != null ? testKey(c) : null;
      if (key == null || significant.get(key) || Verdict.PASS.equals(c.status())) {
        out.add(c);
        continue;
      }
      String why = policy.perVerdict()
          ? String.format(Locale.ROOT, " ≥ %s (α=%s over %d paired tests, Holm): within sampling noise", plain(level.get(key)),
              plain(alpha), m)
          : String.format(Locale.ROOT, " ≥ α=%s: within sampling noise", plain(alpha));
      out.add(new Check(c.name(), Verdict.PASS, c.value(), c.baseline(), c.warnAt(), c.failAt(), c.message() + why,
          c.reason(), c.baselineVersion(), c.baselineKind(), c.test(), c.pValue(), c.discordantLost(),
          c.discordantGained()));
    }
    return out;
  }

  private static String testKey(Check c) {
    String figure = c.name().startsWith("reference-") ? c.name().substring("reference-".length()) : c.name();
    return c.baselineVersion() + " " + figure;
  }

  /** 3 significant digits, no exponent, no trailing zeros: 0.0025, 0.01. */
  private static String plain(double x) {
    return new BigDecimal(x).round(new MathContext(3)).stripTrailingZeros().toPlainString();
  }
}
