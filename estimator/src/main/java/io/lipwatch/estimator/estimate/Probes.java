package io.lipwatch.estimator.estimate;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** The {@code probes} block of an estimate: accuracy under noise, attacks and certification on a probe set. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Probes(
    String dataset,
    int samples,
    double cleanAccuracy,
    List<NoiseAccuracy> noiseAccuracy,
    List<AttackResult> attacks,
    List<CertifiedAccuracy> certified,
    MinPerturbation medianMinPerturbation,
    Double seconds) {

  public record NoiseAccuracy(double sigma, double accuracy) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record AttackResult(String attack, String norm, double eps, Integer steps, Double stepSize, double robustAccuracy,
      Double seconds) {}

  public record CertifiedAccuracy(String norm, double eps, double accuracy) {}

  public record MinPerturbation(String norm, double value) {}
}
