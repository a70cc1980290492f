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
    Provenance provenance) {

  public Estimate withWarnings(List<String> w) {
    return new Estimate(model, version, sha256, estimatedAt, architecture, lipschitz, probes, List.copyOf(w), seconds, provenance);
  }

  public Estimate withSeconds(double s) {
    return new Estimate(model, version, sha256, estimatedAt, architecture, lipschitz, probes, warnings, s, provenance);
  }

  public Estimate withProbes(Probes p) {
    return new Estimate(model, version, sha256, estimatedAt, architecture, lipschitz, p, warnings, seconds, provenance);
  }
}
