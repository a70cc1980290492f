package io.lipwatch.monitor.verdict;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Chooses a version's {@link Baselines} from the model's history. Never a rejected version, never the version itself.
 *
 * <p>The reference, when nothing is pinned, is the PASS version with the smallest bestUpper (the most robust the
 * monitor has certified; the newest among equals, and the newest PASS when none has a sound bound) among the last
 * {@code windowVersions} versions before the current one, estimated at most {@code windowDays} before it. Ages are
 * measured between estimates, not against the wall clock, so a replay of the topic gives the same verdicts. A
 * version that WARNs against it does not pass, so a slow slide cannot move the reference along with it. Without a PASS
 * in the window the reference is the last PASS, wherever it is.
 */
public final class BaselineSelector {
  private final Policy policy;

  public BaselineSelector(Policy policy) {
    this.policy = policy;
  }

  /**
   * @param history     the model's versions, ordered by version (estimated and rejected)
   * @param current     the version being judged
   * @param pinned      the pinned version, or null
   * @param lastPass    the last PASS version, or null
   */
  public Baselines select(List<VersionSummary> history, VersionSummary current, Long pinned, Long lastPass) {
    VersionSummary pin = pinned == null ? null : estimated(history, pinned, current.version());
    VersionSummary last = lastPass == null ? null : estimated(history, lastPass, current.version());
    VersionSummary step = pin != null ? pin : last;
    String stepKind = pin != null ? Baselines.PINNED : last != null ? Baselines.LAST_PASS : null;
    VersionSummary best = pin != null ? null : bestPass(history, current);
    // no PASS in the window (a model that has not passed for 20 versions): the last PASS, so the drift stays visible
    VersionSummary reference = pin != null ? pin : best != null ? best : last;
    String referenceKind = pin != null ? Baselines.PINNED : best != null ? Baselines.BEST_PASS
        : last != null ? Baselines.LAST_PASS : null;
    return new Baselines(step, stepKind, reference, referenceKind, recent(history, current));
  }

  private static VersionSummary estimated(List<VersionSummary> history, long version, long current) {
    if (version == current) {
      return null;
    }
    return history.stream().filter(v -> v.version() == version && v.estimated()).findFirst().orElse(null);
  }

  VersionSummary bestPass(List<VersionSummary> history, VersionSummary current) {
    ReferencePolicy r = policy.reference();
    List<VersionSummary> before = history.stream().filter(v -> v.version() < current.version()).toList();
    int from = r.windowVersions() == null ? 0 : Math.max(0, before.size() - r.windowVersions());
    Instant now = instant(current.estimatedAt());
    List<VersionSummary> candidates = new ArrayList<>();
    for (VersionSummary v : before.subList(from, before.size())) {
      if (v.passed() && withinDays(v, now, r.windowDays())) {
        candidates.add(v);
      }
    }
    // newest first, so that among equal bounds (and without bounds) the newest wins
    candidates.sort(Comparator.comparingLong(VersionSummary::version).reversed());
    return candidates.stream().filter(v -> v.bestUpper() != null).min(Comparator.comparingDouble(VersionSummary::bestUpper))
        .orElse(candidates.isEmpty() ? null : candidates.get(0));
  }

  private static boolean withinDays(VersionSummary v, Instant now, Double days) {
    if (days == null || now == null) {
      return true;
    }
    Instant then = instant(v.estimatedAt());
    // a version without a readable time is judged by its place in the window only
    return then == null || Duration.between(then, now).toMillis() <= days * 86_400_000d;
  }

  private List<VersionSummary> recent(List<VersionSummary> history, VersionSummary current) {
    TrendPolicy t = policy.trend();
    if (!t.enabled()) {
      return List.of();
    }
    List<VersionSummary> before = history.stream().filter(v -> v.version() < current.version() && v.estimated()).toList();
    List<VersionSummary> out = new ArrayList<>(before.subList(Math.max(0, before.size() - (t.versions() - 1)), before.size()));
    out.add(current);
    return out;
  }

  static Instant instant(String s) {
    if (s == null) {
      return null;
    }
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
