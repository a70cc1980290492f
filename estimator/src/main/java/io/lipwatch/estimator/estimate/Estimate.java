package io.lipwatch.estimator.estimate;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** The estimate of one snapshot: value of {@code lipwatch.estimates} and output of {@code lipwatch estimate --json}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Estimate(
    String model,
    long version,
    String sha256,
    String estimatedAt,
    Architecture architecture,
    LipschitzBounds lipschitz,
    Probes probes,
    List<String> warnings,
    double seconds,
    Provenance provenance,
    Boolean inconsistent) {

  /** An estimate whose bounds agree ({@code inconsistent} absent). */
  public Estimate(String model, long version, String sha256, String estimatedAt, Architecture architecture,
      LipschitzBounds lipschitz, Probes probes, List<String> warnings, double seconds, Provenance provenance) {
    this(model, version, sha256, estimatedAt, architecture, lipschitz, probes, warnings, seconds, provenance, null);
  }

  /** True when the best lower bound exceeded the best sound upper bound: an internal error, not a normal estimate. */
  public boolean hasInconsistentBounds() {
    return Boolean.TRUE.equals(inconsistent);
  }

  public Estimate markedInconsistent() {
    return new Estimate(model, version, sha256, estimatedAt, architecture, lipschitz, probes, warnings, seconds, provenance, true);
  }

  public Estimate withWarnings(List<String> w) {
    return new Estimate(model, version, sha256, estimatedAt, architecture, lipschitz, probes, List.copyOf(w), seconds, provenance, inconsistent);
  }

  public Estimate withSeconds(double s) {
    return new Estimate(model, version, sha256, estimatedAt, architecture, lipschitz, probes, warnings, s, provenance, inconsistent);
  }

  public Estimate withProbes(Probes p) {
    return new Estimate(model, version, sha256, estimatedAt, architecture, lipschitz, p, warnings, seconds, provenance, inconsistent);
  }
}
