package io.lipwatch.cli;

import io.lipwatch.estimator.probes.ProbeConfig;
import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Probe settings shared by {@code estimate} and {@code estimator}; unset flags keep ProbeConfig's defaults. */
public final class ProbeOptions {
  @Option(names = "--probe-samples", paramLabel = "N", description = "Probe on the first N samples (0: all).")
  Integer samples;

  @Option(names = "--noise-sigmas", split = ",", paramLabel = "σ", description = "Gaussian-noise σ list (default 0.1,0.3,1.0).")
  List<Double> noiseSigmas;

  @Option(names = "--l2-eps", split = ",", paramLabel = "ε", description = "FGSM and PGD L2 ε list (default 0.5,1,2).")
  List<Double> l2Eps;

  @Option(names = "--linf-eps", split = ",", paramLabel = "ε", description = "FGSM and PGD L∞ ε list (default 0.01,0.03,0.1).")
  List<Double> linfEps;

  @Option(names = "--pgd-steps", paramLabel = "N", description = "PGD steps when ε lists are given (default 100 for L2, 20 for L∞).")
  Integer pgdSteps;

  @Option(names = "--pgd-l2-step", paramLabel = "S", description = "PGD L2 step size when --l2-eps is given (default ε/8, i.e. 0.25 at ε=2).")
  Double pgdL2Step;

  @Option(names = "--pgd-restarts", defaultValue = "1", paramLabel = "N", description = "PGD random restarts (default: ${DEFAULT-VALUE}).")
  int restarts;

  @Option(names = "--certified-eps", split = ",", paramLabel = "ε", description = "Certified-accuracy L2 ε list (default 0.1,0.25,0.5,1.0).")
  List<Double> certifiedEps;

  @Option(names = "--probe-seed", paramLabel = "SEED", description = "Seed of noise and random starts (default 42).")
  Long seed;

  @Option(names = "--probe-budget", converter = DurationConverter.class, paramLabel = "DURATION",
      description = "Time budget of all probes of one snapshot (default 60s).")
  Duration budget;

  ProbeConfig apply(ProbeConfig base) {
    ProbeConfig c = base;
    if (samples != null) {
      if (samples < 0) {
        throw new IllegalArgumentException("--probe-samples must be ≥ 0");
      }
      c = c.withSamples(samples);
    }
    if (noiseSigmas != null) {
      c = c.withNoiseSigmas(noiseSigmas);
    }
    if (l2Eps != null || linfEps != null || pgdSteps != null || pgdL2Step != null || restarts != 1) {
      List<AttackSpec> attacks = new ArrayList<>();
      for (double e : l2Eps != null ? l2Eps : List.of(0.5, 1.0, 2.0)) {
        int steps = pgdSteps != null ? pgdSteps : 100;
        attacks.add(AttackSpec.fgsm(Norm.L2, e));
        attacks.add(AttackSpec.pgd(Norm.L2, e, steps, pgdL2Step != null ? pgdL2Step : e / 8).withRestarts(restarts));
      }
      for (double e : linfEps != null ? linfEps : List.of(0.01, 0.03, 0.1)) {
        int steps = pgdSteps != null ? pgdSteps : 20;
        attacks.add(AttackSpec.fgsm(Norm.LINF, e));
        attacks.add(AttackSpec.pgd(Norm.LINF, e, steps, 2.5 * e / steps).withRestarts(restarts));
      }
      c = c.withAttacks(attacks);
    }
    if (certifiedEps != null) {
      c = c.withCertifiedEps(certifiedEps);
    }
    if (seed != null) {
      c = c.withSeed(seed);
    }
    if (budget != null) {
      c = c.withTimeBudget(budget);
    }
    return c;
  }
}
