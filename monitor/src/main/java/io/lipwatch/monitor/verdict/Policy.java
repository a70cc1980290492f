package io.lipwatch.monitor.verdict;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Set;

/**
 * Regression thresholds of a model version against its baseline. A null threshold disables that level.
 *
 * @param upperGrowthWarn    bestUpper ratio (current / baseline) at which the version warns
 * @param upperGrowthFail    … at which it fails
 * @param robustDropWarn     drop of robust accuracy (absolute, 0.02 = 2 points) for any attack both versions report
 * @param robustDropFail     …
 * @param certifiedDropWarn  drop of certified accuracy for any ε both report
 * @param certifiedDropFail  …
 * @param cleanDropWarn      drop of clean accuracy
 * @param cleanDropFail      …
 * @param gapGrowthWarn      growth of the bound gap (bestUpper / bestLower) relative to the baseline's gap
 * @param gapGrowthFail      …
 * @param reference          thresholds against the reference version (slow drift) and its window
 * @param trend              the trend check
 * @param significance       when an accuracy drop compared sample by sample (both versions' outcomes on the same
 *                           samples) is more than sampling noise: it WARNs or FAILs only then
 */
public record Policy(Double upperGrowthWarn, Double upperGrowthFail, Double robustDropWarn, Double robustDropFail,
    Double certifiedDropWarn, Double certifiedDropFail, Double cleanDropWarn, Double cleanDropFail,
    Double gapGrowthWarn, Double gapGrowthFail, ReferencePolicy reference, TrendPolicy trend,
    SignificancePolicy significance) {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> NUMBER_FIELDS = Set.of("upperGrowthWarn", "upperGrowthFail", "robustDropWarn",
      "robustDropFail", "certifiedDropWarn", "certifiedDropFail", "cleanDropWarn", "cleanDropFail", "gapGrowthWarn",
      "gapGrowthFail", "referenceUpperGrowthWarn", "referenceUpperGrowthFail", "referenceRobustDropWarn",
      "referenceRobustDropFail", "referenceCertifiedDropWarn", "referenceCertifiedDropFail", "referenceCleanDropWarn",
      "referenceCleanDropFail", "referenceWindowDays", "significance");
  private static final Set<String> SCOPES = Set.of(SignificancePolicy.VERDICT, SignificancePolicy.CHECK);
  /** Whole numbers ≥ 1 (referenceWindowVersions may be null: no bound by count). */
  private static final Set<String> COUNT_FIELDS = Set.of("referenceWindowVersions", "trendVersions", "trendHorizon");
  private static final Set<String> FIELDS = union(NUMBER_FIELDS, COUNT_FIELDS, Set.of("trendEnabled", "significanceScope"));

  public Policy {
    reference = reference == null ? ReferencePolicy.defaults() : reference;
    trend = trend == null ? TrendPolicy.defaults() : trend;
    significance = significance == null ? SignificancePolicy.defaults() : significance;
  }

  /** At the default significance. */
  public Policy(Double upperGrowthWarn, Double upperGrowthFail, Double robustDropWarn, Double robustDropFail,
      Double certifiedDropWarn, Double certifiedDropFail, Double cleanDropWarn, Double cleanDropFail,
      Double gapGrowthWarn, Double gapGrowthFail, ReferencePolicy reference, TrendPolicy trend) {
    this(upperGrowthWarn, upperGrowthFail, robustDropWarn, robustDropFail, certifiedDropWarn, certifiedDropFail,
        cleanDropWarn, cleanDropFail, gapGrowthWarn, gapGrowthFail, reference, trend, null);
  }

  /** Step thresholds only; reference, trend and significance at their defaults. */
  public Policy(Double upperGrowthWarn, Double upperGrowthFail, Double robustDropWarn, Double robustDropFail,
      Double certifiedDropWarn, Double certifiedDropFail, Double cleanDropWarn, Double cleanDropFail,
      Double gapGrowthWarn, Double gapGrowthFail) {
    this(upperGrowthWarn, upperGrowthFail, robustDropWarn, robustDropFail, certifiedDropWarn, certifiedDropFail,
        cleanDropWarn, cleanDropFail, gapGrowthWarn, gapGrowthFail, null, null);
  }

  public Policy withReference(ReferencePolicy r) {
    return new Policy(upperGrowthWarn, upperGrowthFail, robustDropWarn, robustDropFail, certifiedDropWarn,
        certifiedDropFail, cleanDropWarn, cleanDropFail, gapGrowthWarn, gapGrowthFail, r, trend, significance);
  }

  public Policy withTrend(TrendPolicy t) {
    return new Policy(upperGrowthWarn, upperGrowthFail, robustDropWarn, robustDropFail, certifiedDropWarn,
        certifiedDropFail, cleanDropWarn, cleanDropFail, gapGrowthWarn, gapGrowthFail, reference, t, significance);
  }

  public Policy withSignificance(SignificancePolicy s) {
    return new Policy(upperGrowthWarn, upperGrowthFail, robustDropWarn, robustDropFail, certifiedDropWarn,
        certifiedDropFail, cleanDropWarn, cleanDropFail, gapGrowthWarn, gapGrowthFail, reference, trend, s);
  }

  /**
   * Defaults: bestUpper +10% warns, +25% fails; robust or certified accuracy −2 points warns, −5 fails; clean accuracy
   * −1 point warns, −3 fails; the bound gap growing 1.5× warns (a gap says the numbers became less informative, not
   * that the model became weaker, so it never fails by default).
   */
  public static Policy defaults() {
    return new Policy(1.10, 1.25, 0.02, 0.05, 0.02, 0.05, 0.01, 0.03, 1.5, null, ReferencePolicy.defaults(),
        TrendPolicy.defaults(), SignificancePolicy.defaults());
  }

  /** Defaults overridden by the fields of a JSON file; unknown fields and bad values are errors naming them. */
  public static Policy load(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "policy file not found");
    }
    JsonNode n;
    try {
      n = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new IOException("policy file " + file + " is not valid JSON: " + e.getMessage(), e);
    }
    if (n == null || !n.isObject()) {
      throw new IOException("policy file " + file + " must hold a JSON object");
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw new IOException("policy file " + file + ": unknown field '" + f + "' (known: " + FIELDS + ")");
      }
      JsonNode v = n.get(f);
      if (f.equals("trendEnabled")) {
        if (!v.isBoolean()) {
          throw new IOException("policy file " + file + ": 'trendEnabled' must be true or false");
        }
      } else if (f.equals("significanceScope")) {
        if (!v.isTextual() || !SCOPES.contains(v.asText())) {
          throw new IOException("policy file " + file + ": 'significanceScope' must be one of " + SCOPES);
        }
      } else if (COUNT_FIELDS.contains(f)) {
        boolean nullable = f.equals("referenceWindowVersions");
        if (!(v.isNull() && nullable) && (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1)) {
          throw new IOException("policy file " + file + ": '" + f + "' must be a whole number ≥ 1" + (nullable ? " or null" : ""));
        }
      } else if (!v.isNull() && (!v.isNumber() || v.asDouble() < 0)) {
        throw new IOException("policy file " + file + ": '" + f + "' must be a non-negative number or null");
      } else if (f.equals("significance") && !v.isNull() && !(v.asDouble() > 0 && v.asDouble() <= 1)) {
        throw new IOException("policy file " + file + ": 'significance' must be in (0, 1] or null");
      }
    }
    Policy d = defaults();
    ReferencePolicy r = d.reference;
    TrendPolicy t = d.trend;
    return new Policy(get(n, "upperGrowthWarn", d.upperGrowthWarn), get(n, "upperGrowthFail", d.upperGrowthFail),
        get(n, "robustDropWarn", d.robustDropWarn), get(n, "robustDropFail", d.robustDropFail),
        get(n, "certifiedDropWarn", d.certifiedDropWarn), get(n, "certifiedDropFail", d.certifiedDropFail),
        get(n, "cleanDropWarn", d.cleanDropWarn), get(n, "cleanDropFail", d.cleanDropFail),
        get(n, "gapGrowthWarn", d.gapGrowthWarn), get(n, "gapGrowthFail", d.gapGrowthFail),
        new ReferencePolicy(get(n, "referenceUpperGrowthWarn", r.upperGrowthWarn()),
            get(n, "referenceUpperGrowthFail", r.upperGrowthFail()), get(n, "referenceRobustDropWarn", r.robustDropWarn()),
            get(n, "referenceRobustDropFail", r.robustDropFail()),
            get(n, "referenceCertifiedDropWarn", r.certifiedDropWarn()),
            get(n, "referenceCertifiedDropFail", r.certifiedDropFail()),
            get(n, "referenceCleanDropWarn", r.cleanDropWarn()), get(n, "referenceCleanDropFail", r.cleanDropFail()),
            n.has("referenceWindowVersions") ? (n.get("referenceWindowVersions").isNull() ? null
                : n.get("referenceWindowVersions").asInt()) : r.windowVersions(),
            get(n, "referenceWindowDays", r.windowDays())),
        new TrendPolicy(n.has("trendEnabled") ? n.get("trendEnabled").asBoolean() : t.enabled(),
            n.has("trendVersions") ? n.get("trendVersions").asInt() : t.versions(),
            n.has("trendHorizon") ? n.get("trendHorizon").asInt() : t.horizon()),
        new SignificancePolicy(get(n, "significance", d.significance.alpha()),
            n.has("significanceScope") ? n.get("significanceScope").asText() : d.significance.scope()));
  }

  @SafeVarargs
  private static Set<String> union(Set<String>... sets) {
    Set<String> out = new java.util.TreeSet<>();
    for (Set<String> s : sets) {
      out.addAll(s);
    }
    return java.util.Collections.unmodifiableSet(out);
  }

  private static Double get(JsonNode n, String f, Double dflt) {
    if (!n.has(f)) {
      return dflt;
    }
    return n.get(f).isNull() ? null : n.get(f).asDouble();
  }
}
