package io.lipwatch.monitor.verdict;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.estimate.Verdict;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What the monitor keeps of one estimated version: the figures the policy compares, and the verdict it got. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VersionSummary(long version, String sha256, String estimatedAt, Double bestUpper, Double bestLower,
    Double cleanAccuracy, Map<String, Double> robustAccuracy, Map<String, Double> certifiedAccuracy,
    String verdict, List<Verdict.Check> checks, Long baselineVersion) {

  public static VersionSummary of(Estimate e) {
    Map<String, Double> robust = new TreeMap<>();
    Map<String, Double> certified = new TreeMap<>();
    Double clean = null;
    Probes p = e.probes();
    if (p != null) {
      clean = p.cleanAccuracy();
      if (p.attacks() != null) {
        p.attacks().forEach(a -> robust.put(a.attack() + "/" + a.norm() + "/" + a.eps(), a.robustAccuracy()));
      }
      if (p.certified() != null) {
        p.certified().forEach(c -> certified.put(c.norm() + "/" + c.eps(), c.accuracy()));
      }
    }
    return new VersionSummary(e.version(), e.sha256(), e.estimatedAt(), e.lipschitz() == null ? null : e.lipschitz().bestUpper(),
        e.lipschitz() == null ? null : e.lipschitz().bestLower(), clean, robust, certified, null, null, null);
  }

  public VersionSummary withVerdict(Verdict v) {
    return new VersionSummary(version, sha256, estimatedAt, bestUpper, bestLower, cleanAccuracy, robustAccuracy,
        certifiedAccuracy, v.verdict(), v.checks(), v.baselineVersion());
  }
}
