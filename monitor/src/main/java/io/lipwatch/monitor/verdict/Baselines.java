package io.lipwatch.monitor.verdict;

import java.util.List;

/**
 * What a version is judged against: the step baseline (the pinned version, else the last PASS) for sudden changes, the
 * reference (the pinned version, else the best PASS of the window, else the last PASS) for slow drift, and the recent estimated versions,
 * oldest first and ending with the current one, for the trend check. Any of them may be absent.
 *
 * @param step          step baseline, or null
 * @param stepKind      {@link #PINNED} or {@link #LAST_PASS}
 * @param reference     reference version, or null
 * @param referenceKind {@link #PINNED}, {@link #BEST_PASS} or {@link #LAST_PASS}
 * @param recent        recent estimated versions for the trend, the current one last (may be empty)
 */
public record Baselines(VersionSummary step, String stepKind, VersionSummary reference, String referenceKind,
    List<VersionSummary> recent) {
  public static final String PINNED = "pinned";
  public static final String LAST_PASS = "last-pass";
  public static final String BEST_PASS = "best-pass";

  public Baselines {
    recent = recent == null ? List.of() : List.copyOf(recent);
  }

  public static Baselines none() {
    return new Baselines(null, null, null, null, List.of());
  }
}
