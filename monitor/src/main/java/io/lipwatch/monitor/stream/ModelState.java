package io.lipwatch.monitor.stream;

import io.lipwatch.monitor.verdict.VersionSummary;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Per-model state in the history store: recent versions (oldest first, bounded; estimated and rejected ones) and the
 * last passing version.
 */
public record ModelState(List<VersionSummary> versions, Long lastPassVersion) {
  public static final int MAX_VERSIONS = 500;

  public ModelState {
    versions = versions == null ? List.of() : List.copyOf(versions);
  }

  public VersionSummary find(long version) {
    return versions.stream().filter(v -> v.version() == version).findFirst().orElse(null);
  }

  /** The version if it was estimated (a rejected version is never a baseline), else null. */
  public VersionSummary findEstimated(long version) {
    VersionSummary s = find(version);
    return s != null && s.estimated() ? s : null;
  }

  /** True when the monitor has estimated some version of this model: a "known" model (see RejectedProcessor). */
  public boolean hasEstimate() {
    return lastPassVersion != null || versions.stream().anyMatch(VersionSummary::estimated);
  }

  public VersionSummary latest() {
    return versions.isEmpty() ? null : versions.get(versions.size() - 1);
  }

  /** With this version added (replacing an earlier record of the same version), ordered by version, bounded. */
  public ModelState with(VersionSummary s, Long lastPass) {
    List<VersionSummary> list = new ArrayList<>(versions);
    list.removeIf(v -> v.version() == s.version());
    list.add(s);
    list.sort(Comparator.comparingLong(VersionSummary::version));
    while (list.size() > MAX_VERSIONS) {
      list.remove(0);
    }
    return new ModelState(list, lastPass);
  }
}
