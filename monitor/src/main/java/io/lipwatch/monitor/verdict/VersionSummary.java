package io.lipwatch.monitor.verdict;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.estimate.Verdict;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the monitor keeps of one version: the figures the policy compares, and the verdict it got with the versions it
 * was compared with (step baseline and reference), and, while it may serve as a baseline, its per-sample outcomes
 * ({@link PairedOutcomes}) for paired comparisons. A version the estimator rejected has no figures; {@code rejected}
 * holds its DLQ reason and {@code rejectedAt} when it failed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VersionSummary(long version, String sha256, String estimatedAt, Double bestUpper, Double bestLower,
    Double cleanAccuracy, Map<String, Double> robustAccuracy, Map<String, Double> certifiedAccuracy,
    Verdict.Status verdict, List<Verdict.Check> checks, Long baselineVersion, String rejected, String rejectedAt,
    String baselineKind, Long referenceVersion, String referenceKind, PairedOutcomes outcomes) {

  public VersionSummary {
    robustAccuracy = robustAccuracy == null ? Map.of() : robustAccuracy;
    certifiedAccuracy = certifiedAccuracy == null ? Map.of() : certifiedAccuracy;
  }

  /** Without per-sample outcomes: accuracy checks against it are unpaired. */
  public VersionSummary(long version, String sha256, String estimatedAt, Double bestUpper, Double bestLower,
      Double cleanAccuracy, Map<String, Double> robustAccuracy, Map<String, Double> certifiedAccuracy,
      Verdict.Status verdict, List<Verdict.Check> checks, Long baselineVersion, String rejected, String rejectedAt,
      String baselineKind, Long referenceVersion, String referenceKind) {
    this(version, sha256, estimatedAt, bestUpper, bestLower, cleanAccuracy, robustAccuracy, certifiedAccuracy, verdict,
        checks, baselineVersion, rejected, rejectedAt, baselineKind, referenceVersion, referenceKind, null);
  }

  /** Key of a robust accuracy: {@code attack/norm/eps}. */
  public static String robustKey(String attack, String norm, double eps) {
    return attack + "/" + norm + "/" + eps;
  }

  /** Key of a certified accuracy: {@code norm/eps}. */
  public static String certifiedKey(String norm, double eps) {
    return norm + "/" + eps;
  }

  public static VersionSummary of(Estimate e) {
    Map<String, Double> robust = new TreeMap<>();
    Map<String, Double> certified = new TreeMap<>();
    Double clean = null;
    Probes p = e.probes();
    if (p != null) {
      clean = p.cleanAccuracy();
      if (p.attacks() != null) {
        p.attacks().forEach(a -> robust.put(robustKey(a.attack(), a.norm(), a.eps()), a.robustAccuracy()));
      }
      if (p.certified() != null) {
        // verdicts compare the global certificate (pairwise and local entries are extra figures, not baselines)
        p.certified().stream().filter(c -> Probes.CertifiedAccuracy.GLOBAL.equals(c.methodOrGlobal()))
            .forEach(c -> certified.put(certifiedKey(c.norm(), c.eps()), c.accuracy()));
      }
    }
    return new VersionSummary(e.version(), e.sha256(), e.estimatedAt(), e.lipschitz() == null ? null : e.lipschitz().bestUpper(),
        e.lipschitz() == null ? null : e.lipschitz().bestLower(), clean, robust, certified, null, null, null, null, null, null,
        null, null, PairedOutcomes.of(p));
  }

  /** A version the estimator rejected: no figures, only the (bounded) reason label. */
  public static VersionSummary rejected(long version, String sha256, String reason, String rejectedAt) {
    return new VersionSummary(version, sha256, null, null, null, null, Map.of(), Map.of(), null, null, null, reason, rejectedAt,
        null, null, null);
  }

  /** True for an estimated version that passed: a candidate baseline and reference. */
  public boolean passed() {
    return estimated() && Verdict.PASS.equals(verdict);
  }

  /** True for a version with an estimate, false for a rejected one (never a baseline). */
  public boolean estimated() {
    return rejected == null;
  }

  public VersionSummary withVerdict(Verdict v) {
    return new VersionSummary(version, sha256, estimatedAt, bestUpper, bestLower, cleanAccuracy, robustAccuracy,
        certifiedAccuracy, v.verdict(), v.checks(), v.baselineVersion(), rejected, rejectedAt, v.baselineKind(),
        v.referenceVersion(), v.referenceKind(), outcomes);
  }

  /** This version without its per-sample outcomes (kept only while it may serve as a baseline). */
  public VersionSummary withoutOutcomes() {
    return outcomes == null ? this : new VersionSummary(version, sha256, estimatedAt, bestUpper, bestLower, cleanAccuracy,
        robustAccuracy, certifiedAccuracy, verdict, checks, baselineVersion, rejected, rejectedAt, baselineKind,
        referenceVersion, referenceKind, null);
  }
}
