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
 */
public record Policy(Double upperGrowthWarn, Double upperGrowthFail, Double robustDropWarn, Double robustDropFail,
    Double certifiedDropWarn, Double certifiedDropFail, Double cleanDropWarn, Double cleanDropFail,
    Double gapGrowthWarn, Double gapGrowthFail) {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> FIELDS = Set.of("upperGrowthWarn", "upperGrowthFail", "robustDropWarn", "robustDropFail",
      "certifiedDropWarn", "certifiedDropFail", "cleanDropWarn", "cleanDropFail", "gapGrowthWarn", "gapGrowthFail");

  /**
   * Defaults: bestUpper +10% warns, +25% fails; robust or certified accuracy −2 points warns, −5 fails; clean accuracy
   * −1 point warns, −3 fails; the bound gap growing 1.5× warns (a gap says the numbers became less informative, not
   * that the model became weaker, so it never fails by default).
   */
  public static Policy defaults() {
    return new Policy(1.10, 1.25, 0.02, 0.05, 0.02, 0.05, 0.01, 0.03, 1.5, null);
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
      if (!v.isNull() && (!v.isNumber() || v.asDouble() < 0)) {
        throw new IOException("policy file " + file + ": '" + f + "' must be a non-negative number or null");
      }
    }
    Policy d = defaults();
    return new Policy(get(n, "upperGrowthWarn", d.upperGrowthWarn), get(n, "upperGrowthFail", d.upperGrowthFail),
        get(n, "robustDropWarn", d.robustDropWarn), get(n, "robustDropFail", d.robustDropFail),
        get(n, "certifiedDropWarn", d.certifiedDropWarn), get(n, "certifiedDropFail", d.certifiedDropFail),
        get(n, "cleanDropWarn", d.cleanDropWarn), get(n, "cleanDropFail", d.cleanDropFail),
        get(n, "gapGrowthWarn", d.gapGrowthWarn), get(n, "gapGrowthFail", d.gapGrowthFail));
  }

  private static Double get(JsonNode n, String f, Double dflt) {
    if (!n.has(f)) {
      return dflt;
    }
    return n.get(f).isNull() ? null : n.get(f).asDouble();
  }
}
