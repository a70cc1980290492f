package io.lipwatch.monitor.verdict;

import java.util.ArrayList;
import java.util.List;

/**
 * Which versions of a model's history keep their per-sample outcomes: only those a later version can be compared with
 * (the last PASS, the pinned version, and the PASS versions inside the reference window). The others drop them, so
 * the stored history grows by a few hundred bytes per version, not per sample and version. A version pinned later,
 * after its outcomes were dropped, is compared unpaired (its checks say so).
 */
public final class OutcomeRetention {
  private final Policy policy;

  public OutcomeRetention(Policy policy) {
    this.policy = policy;
  }

  /**
   * @param versions the model's history, ordered by version
   * @param lastPass the last PASS version, or null
   * @param pinned   the pinned version, or null
   */
  public List<VersionSummary> apply(List<VersionSummary> versions, Long lastPass, Long pinned) {
    Integer window = policy.reference().windowVersions();
    int from = window == null ? 0 : Math.max(0, versions.size() - window);
    List<VersionSummary> out = new ArrayList<>(versions.size());
    for (int i = 0; i < versions.size(); i++) {
      VersionSummary v = versions.get(i);
      boolean keep = (v.passed() && i >= from) || Long.valueOf(v.version()).equals(lastPass)
          || Long.valueOf(v.version()).equals(pinned);
      out.add(keep ? v : v.withoutOutcomes());
    }
    return out;
  }
}
