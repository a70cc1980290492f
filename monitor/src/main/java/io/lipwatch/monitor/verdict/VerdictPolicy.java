package io.lipwatch.monitor.verdict;

import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.estimator.estimate.Verdict.Check;
import io.lipwatch.monitor.verdict.PairedOutcomes.Family;
import io.lipwatch.monitor.verdict.PairedOutcomes.Pairing;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decides PASS / WARN / FAIL for a version against its {@link Baselines} under a {@link Policy}: step checks against
 * the last PASS (or pinned) version, drift checks ({@code reference-…}) against the reference, and optionally trend
 * checks ({@code trend-…}).
 */
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
    return decide(model, current, new Baselines(baseline, baselineKind, null, null, List.of()));
  }

  /**
   * The verdict against the step baseline (step thresholds), the reference (reference thresholds) and the trend of the
   * recent versions (WARN only, when enabled); the worst check decides.
   */
  public Verdict decide(String model, VersionSummary current, Baselines b) {
    List<Check> checks = new ArrayList<>();
    if (current.bestUpper() == null) {
      checks.add(new Check("sound-upper-bound", Verdict.WARN, null, null, null, null,
          "no sound upper bound for this version: robustness cannot be certified"));
    }
    VersionSummary baseline = b.step();
    if (baseline == null) {
      checks.add(new Check("baseline", Verdict.PASS, null, null, null, null, "no baseline yet: this version becomes the baseline if it passes"));
    } else {
      Thresholds step = new Thresholds("", policy.upperGrowthWarn(), policy.upperGrowthFail(), policy.robustDropWarn(),
          policy.robustDropFail(), policy.certifiedDropWarn(), policy.certifiedDropFail(), policy.cleanDropWarn(),
          policy.cleanDropFail());
      compare(checks, current, baseline, step, "v" + baseline.version(), baseline.version(), b.stepKind());
      Double gap = gap(current);
      Double baseGap = gap(baseline);
      if (gap != null && baseGap != null && baseGap > 0) {
        double growth = gap / baseGap;
        checks.add(higher("bound-gap-growth", growth, 1.0, policy.gapGrowthWarn(), policy.gapGrowthFail(),
            String.format("bestUpper/bestLower %.3g vs %.3g in v%d", gap, baseGap, baseline.version()))
            .against(baseline.version(), b.stepKind()));
      }
    }
    if (b.reference() != null) {
      ReferencePolicy r = policy.reference();
      Thresholds ref = new Thresholds("reference-", r.upperGrowthWarn(), r.upperGrowthFail(), r.robustDropWarn(),
          r.robustDropFail(), r.certifiedDropWarn(), r.certifiedDropFail(), r.cleanDropWarn(), r.cleanDropFail());
      compare(checks, current, b.reference(), ref, "the " + b.referenceKind() + " reference v" + b.reference().version(),
          b.reference().version(), REFERENCE);
    }
    // paired accuracy checks WARN/FAIL only when their drops are significant together (Holm at the policy's α)
    checks = Significance.apply(checks, policy.significance());
    if (policy.trend().enabled()) {
      trend(checks, b.recent());
    }
    Long refVersion = b.reference() == null ? null : b.reference().version();
    return new Verdict(model, current.version(), worst(checks), checks, baseline == null ? null : baseline.version(),
        b.stepKind(), Instant.now().toString(), refVersion, b.referenceKind());
  }

  /** A check's baseline kind for the reference comparison. */
  public static final String REFERENCE = "reference";
  /** A check's baseline kind for the trend. */
  public static final String TREND = "trend";

  /** Warn and fail levels of one comparison, and the prefix of its check names. */
  private record Thresholds(String prefix, Double upperWarn, Double upperFail, Double robustWarn, Double robustFail,
      Double certifiedWarn, Double certifiedFail, Double cleanWarn, Double cleanFail) {}

  /**
   * The bound ratio (deterministic: thresholds alone) and the accuracy checks, each paired with the base's per-sample
   * outcomes when both versions were probed on the same samples ({@link AccuracyDrop}).
   */
  private static void compare(List<Check> checks, VersionSummary current, VersionSummary base, Thresholds t, String where,
      long baseVersion, String kind) {
    List<Check> out = new ArrayList<>();
    if (current.bestUpper() != null && base.bestUpper() != null && base.bestUpper() > 0) {
      double ratio = current.bestUpper() / base.bestUpper();
      out.add(higher(t.prefix() + "best-upper-growth", ratio, 1.0, t.upperWarn(), t.upperFail(),
          String.format("bestUpper %.4g vs %.4g in %s (×%.3f)", current.bestUpper(), base.bestUpper(), where, ratio)));
    }
    if (current.cleanAccuracy() != null && base.cleanAccuracy() != null) {
      out.add(AccuracyDrop.check(t.prefix() + "clean-accuracy", current.cleanAccuracy(), base.cleanAccuracy(), t.cleanWarn(),
          t.cleanFail(), where, Pairing.of(current, base, Family.CLEAN, null)));
    }
    for (Map.Entry<String, Double> e : current.robustAccuracy().entrySet()) {
      Double v = base.robustAccuracy().get(e.getKey());
      if (v != null) {
        out.add(AccuracyDrop.check(t.prefix() + "robust-accuracy:" + e.getKey(), e.getValue(), v, t.robustWarn(),
            t.robustFail(), where, Pairing.of(current, base, Family.ROBUST, e.getKey())));
      }
    }
    for (Map.Entry<String, Double> e : current.certifiedAccuracy().entrySet()) {
      Double v = base.certifiedAccuracy().get(e.getKey());
      if (v != null) {
        out.add(AccuracyDrop.check(t.prefix() + "certified-accuracy:" + e.getKey(), e.getValue(), v, t.certifiedWarn(),
            t.certifiedFail(), where, Pairing.of(current, base, Family.CERTIFIED, e.getKey())));
      }
    }
    out.forEach(c -> checks.add(c.against(baseVersion, kind)));
  }

  /**
   * WARN when the line through the recent versions, carried {@code horizon} versions ahead, moves by a step FAIL
   * threshold from its value at the current version (bestUpper as a ratio, accuracies in points).
   */
  private void trend(List<Check> checks, List<VersionSummary> recent) {
    TrendPolicy t = policy.trend();
    if (recent.isEmpty()) {
      return;
    }
    long first = recent.get(0).version();
    String span = String.format("over v%d–v%d (%d versions), %d ahead", first, recent.get(recent.size() - 1).version(),
        recent.size(), t.horizon());
    TrendLine upper = TrendLine.fit(recent.stream().map(VersionSummary::bestUpper).filter(java.util.Objects::nonNull).toList(),
        TrendPolicy.MIN_POINTS);
    if (upper != null && upper.atLast() > 0 && policy.upperGrowthFail() != null) {
      double ratio = upper.ahead(t.horizon()) / upper.atLast();
      Verdict.Status status = ratio >= policy.upperGrowthFail() ? Verdict.WARN : Verdict.PASS;
      checks.add(new Check("trend-best-upper", status, ratio, 1.0, policy.upperGrowthFail(), null,
          String.format("bestUpper line %s: %.4g → %.4g (×%.3f)", span, upper.atLast(), upper.ahead(t.horizon()), ratio))
          .against(first, TREND));
    }
    VersionSummary current = recent.get(recent.size() - 1);
    for (String key : current.robustAccuracy().keySet()) {
      trendDrop(checks, "trend-robust-accuracy:" + key, recent.stream().map(v -> v.robustAccuracy().get(key)).toList(),
          policy.robustDropFail(), span, first);
    }
    for (String key : current.certifiedAccuracy().keySet()) {
      trendDrop(checks, "trend-certified-accuracy:" + key, recent.stream().map(v -> v.certifiedAccuracy().get(key)).toList(),
          policy.certifiedDropFail(), span, first);
    }
  }

  private void trendDrop(List<Check> checks, String name, List<Double> values, Double failDrop, String span, long first) {
    TrendLine line = TrendLine.fit(values.stream().filter(java.util.Objects::nonNull).toList(), TrendPolicy.MIN_POINTS);
    if (line == null || failDrop == null) {
      return;
    }
    double ahead = line.ahead(policy.trend().horizon());
    double d = line.atLast() - ahead;
    checks.add(new Check(name, d >= failDrop ? Verdict.WARN : Verdict.PASS, ahead, line.atLast(), failDrop, null,
        String.format("line %s: %.4f → %.4f (%+.2f points)", span, line.atLast(), ahead, -100 * d)).against(first, TREND));
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

  /** Name of the check of an estimate whose bounds contradict each other. */
  public static final String INCONSISTENT_CHECK = "inconsistent";

  /**
   * The verdict of an estimate marked {@code inconsistent} (its best lower bound exceeded its best sound upper bound):
   * an internal error in a bound method, so none of its figures can be trusted and the version cannot be passed.
   */
  public Verdict inconsistent(String model, long version) {
    Check c = new Check(INCONSISTENT_CHECK, Verdict.FAIL, null, null, null, null,
        "the estimate's bounds contradict each other (bestLower > bestUpper): an internal error, see the estimator's log");
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
    Verdict.Status status = fail != null && value >= fail ? Verdict.FAIL : warn != null && value >= warn ? Verdict.WARN : Verdict.PASS;
    return new Check(name, status, value, base, warn, fail, msg);
  }

  static Verdict.Status worst(List<Check> checks) {
    Verdict.Status worst = Verdict.PASS;
    for (Check c : checks) {
      worst = worst.worse(c.status());
    }
    return worst;
  }
}
