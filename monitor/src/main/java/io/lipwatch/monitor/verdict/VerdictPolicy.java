package io.lipwatch.monitor.verdict;

import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.estimator.estimate.Verdict.Check;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Decides PASS / WARN / FAIL for a version against its baseline under a {@link Policy}. */
public final class VerdictPolicy {
  /** Name of the check of a rejected version. */
  public static final String REJECTED_CHECK = "rejected";
  private static final int MAX_DETAIL = 300;

  private final Policy policy;

  public VerdictPolicy(Policy policy) {
    this.policy = policy;
  }

  public Policy policy() {
    return policy;
  }

  /**
   * @param baseline     the baseline version's summary, or null (first version: nothing to regress from)
   * @param baselineKind "pinned" or "last-pass"
   */
  public Verdict decide(String model, VersionSummary current, VersionSummary baseline, String baselineKind) {
    List<Check> checks = new ArrayList<>();
    if (current.bestUpper() == null) {
      checks.add(new Check("sound-upper-bound", Verdict.WARN, null, null, null, null,
          "no sound upper bound for this version: robustness cannot be certified"));
    }
    if (baseline == null) {
      checks.add(new Check("baseline", Verdict.PASS, null, null, null, null, "no baseline yet: this version becomes the baseline if it passes"));
      return new Verdict(model, current.version(), worst(checks), checks, null, null, Instant.now().toString());
    }
    if (current.bestUpper() != null && baseline.bestUpper() != null && baseline.bestUpper() > 0) {
      double ratio = current.bestUpper() / baseline.bestUpper();
      checks.add(higher("best-upper-growth", ratio, 1.0, policy.upperGrowthWarn(), policy.upperGrowthFail(),
          String.format("bestUpper %.4g vs %.4g in v%d (×%.3f)", current.bestUpper(), baseline.bestUpper(), baseline.version(), ratio)));
    }
    if (current.cleanAccuracy() != null && baseline.cleanAccuracy() != null) {
      checks.add(drop("clean-accuracy", current.cleanAccuracy(), baseline.cleanAccuracy(), policy.cleanDropWarn(),
          policy.cleanDropFail()));
    }
    for (Map.Entry<String, Double> e : current.robustAccuracy().entrySet()) {
      Double b = baseline.robustAccuracy().get(e.getKey());
      if (b != null) {
        checks.add(drop("robust-accuracy:" + e.getKey(), e.getValue(), b, policy.robustDropWarn(), policy.robustDropFail()));
      }
    }
    for (Map.Entry<String, Double> e : current.certifiedAccuracy().entrySet()) {
      Double b = baseline.certifiedAccuracy().get(e.getKey());
      if (b != null) {
        checks.add(drop("certified-accuracy:" + e.getKey(), e.getValue(), b, policy.certifiedDropWarn(), policy.certifiedDropFail()));
      }
    }
    Double gap = gap(current);
    Double baseGap = gap(baseline);
    if (gap != null && baseGap != null && baseGap > 0) {
      double growth = gap / baseGap;
      checks.add(higher("bound-gap-growth", growth, 1.0, policy.gapGrowthWarn(), policy.gapGrowthFail(),
          String.format("bestUpper/bestLower %.3g vs %.3g in v%d", gap, baseGap, baseline.version())));
    }
    return new Verdict(model, current.version(), worst(checks), checks, baseline.version(), baselineKind, Instant.now().toString());
  }

  /**
   * The verdict of a version the estimator rejected (it went to the DLQ): FAIL, whatever the policy's thresholds. A
   * snapshot that cannot be estimated, diverged weights above all, has no robustness to certify; a CD gate on
   * lipwatch.verdicts must stop it. No baseline is compared.
   *
   * @param reason a bounded reason label (see {@code MetricLabels.reason})
   * @param detail the DLQ record's detail, untrusted: shortened and stripped of control characters
   */
  public Verdict rejected(String model, long version, String reason, String detail) {
    String why = detail == null || detail.isBlank() ? "" : ": " + printable(detail, MAX_DETAIL);
    Check c = new Check(REJECTED_CHECK, Verdict.FAIL, null, null, null, null,
        "the estimator rejected this version (" + reason + ")" + why, reason);
    return new Verdict(model, version, Verdict.FAIL, List.of(c), null, null, Instant.now().toString());
  }

  static String printable(String s, int max) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), max + 1));
    for (int i = 0; i < s.length() && b.length() < max; i++) {
      char ch = s.charAt(i);
      b.append(Character.isISOControl(ch) ? ' ' : ch);
    }
    return s.length() > max ? b.append('…').toString() : b.toString();
  }

  private static Double gap(VersionSummary s) {
    return s.bestUpper() != null && s.bestLower() != null && s.bestLower() > 0 ? s.bestUpper() / s.bestLower() : null;
  }

  private static Check higher(String name, double value, double base, Double warn, Double fail, String msg) {
    String status = fail != null && value >= fail ? Verdict.FAIL : warn != null && value >= warn ? Verdict.WARN : Verdict.PASS;
    return new Check(name, status, value, base, warn, fail, msg);
  }

  private static Check drop(String name, double value, double base, Double warn, Double fail) {
    double d = base - value;
    String status = fail != null && d >= fail ? Verdict.FAIL : warn != null && d >= warn ? Verdict.WARN : Verdict.PASS;
    return new Check(name, status, value, base, warn, fail,
        String.format("%.4f vs %.4f in the baseline (%+.2f points)", value, base, -100 * d));
  }

  static String worst(List<Check> checks) {
    int level = 0;
    for (Check c : checks) {
      level = Math.max(level, Verdict.level(c.status()));
    }
    return level == 2 ? Verdict.FAIL : level == 1 ? Verdict.WARN : Verdict.PASS;
  }
}
