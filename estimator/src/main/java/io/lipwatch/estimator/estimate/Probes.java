package io.lipwatch.estimator.estimate;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * The {@code probes} block of an estimate: accuracy under noise, attacks and certification on a probe set.
 * {@code timings} (optional): seconds per probe phase in the order run ({@code clean}, {@code noise}, {@code attacks},
 * …; a phase run twice counts both runs), and {@code bound-wait}, the time the certificate phases waited for the
 * engine's sound bound — where the probes' {@code seconds} went (the certificate phases may run beside the others, so
 * the entries can add up to more).
 */
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
    SampleOutcomes outcomes,
    Map<String, Double> timings) {
  /** The key of {@code timings} for the time spent waiting for the engine's sound bound (not a phase). */
  public static final String BOUND_WAIT = "bound-wait";

  /** Without phase timings. */
  public Probes(String dataset, int samples, double cleanAccuracy, List<NoiseAccuracy> noiseAccuracy,
      List<AttackResult> attacks, List<CertifiedAccuracy> certified, MinPerturbation medianMinPerturbation, Double seconds,
      SampleOutcomes outcomes) {
    this(dataset, samples, cleanAccuracy, noiseAccuracy, attacks, certified, medianMinPerturbation, seconds, outcomes,
        null);
  }

  /** Without per-sample outcomes (an estimate the monitor can only compare by its accuracies). */
  public Probes(String dataset, int samples, double cleanAccuracy, List<NoiseAccuracy> noiseAccuracy,
      List<AttackResult> attacks, List<CertifiedAccuracy> certified, MinPerturbation medianMinPerturbation, Double seconds) {
    this(dataset, samples, cleanAccuracy, noiseAccuracy, attacks, certified, medianMinPerturbation, seconds, null);
  }

  public Probes withOutcomes(SampleOutcomes o) {
    return new Probes(dataset, samples, cleanAccuracy, noiseAccuracy, attacks, certified, medianMinPerturbation, seconds, o,
        timings);
  }

  public Probes withTimings(Map<String, Double> t) {
    return new Probes(dataset, samples, cleanAccuracy, noiseAccuracy, attacks, certified, medianMinPerturbation, seconds,
        outcomes, t == null ? null : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(t)));
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

  /**
   * Certified accuracy at one radius by one {@code method}: {@code global} (margin &gt; √2·L·ε with the best sound
   * bound L), {@code pairwise} (each margin z_y − z_j against its own bound) or {@code local} (bounds on the ball
   * B(x, ε) only); an entry without a method is a global one.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record CertifiedAccuracy(String norm, double eps, double accuracy, String method) {
    public static final String GLOBAL = "global";

    public CertifiedAccuracy(String norm, double eps, double accuracy) {
      this(norm, eps, accuracy, GLOBAL);
    }

    /** The method, {@code global} when absent (estimates written before methods existed). */
    public String methodOrGlobal() {
      return method == null ? GLOBAL : method;
    }
  }

  public record MinPerturbation(String norm, double value) {}
}
