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
    Double seconds,
    SampleOutcomes outcomes) {

  /** Without per-sample outcomes (an estimate the monitor can only compare by its accuracies). */
  public Probes(String dataset, int samples, double cleanAccuracy, List<NoiseAccuracy> noiseAccuracy,
      List<AttackResult> attacks, List<CertifiedAccuracy> certified, MinPerturbation medianMinPerturbation, Double seconds) {
    this(dataset, samples, cleanAccuracy, noiseAccuracy, attacks, certified, medianMinPerturbation, seconds, null);
  }

  public Probes withOutcomes(SampleOutcomes o) {
    return new Probes(dataset, samples, cleanAccuracy, noiseAccuracy, attacks, certified, medianMinPerturbation, seconds, o);
  }

  public record NoiseAccuracy(double sigma, double accuracy) {}

  /** {@code losses}: the losses PGD ascended (a sample broken by any counts); {@code schedule}: fixed or apgd. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record AttackResult(String attack, String norm, double eps, Integer steps, Double stepSize, double robustAccuracy,
      Double seconds, List<String> losses, String schedule) {
    public AttackResult(String attack, String norm, double eps, Integer steps, Double stepSize, double robustAccuracy,
        Double seconds) {
      this(attack, norm, eps, steps, stepSize, robustAccuracy, seconds, null, null);
    }
  }

  public record CertifiedAccuracy(String norm, double eps, double accuracy) {}

  public record MinPerturbation(String norm, double value) {}
}
