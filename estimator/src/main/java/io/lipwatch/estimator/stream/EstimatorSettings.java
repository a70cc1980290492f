package io.lipwatch.estimator.stream;

import io.lipwatch.estimator.bounds.EngineConfig;
import io.lipwatch.estimator.probes.ProbeConfig;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotSignature;
import io.lipwatch.estimator.snapshot.SnapshotStore;
import java.util.List;

/**
 * Everything the estimator topology needs besides Kafka: limits, engine settings, probe settings (null: no probes),
 * the snapshot store for claim checks (null: claim checks are rejected) and the HMAC verifier (null: signatures not
 * enforced).
 */
public record EstimatorSettings(SnapshotLimits limits, EngineConfig engine, ProbeConfig probes, SnapshotStore store,
    SnapshotSignature signature) {

  /**
   * Probes per snapshot in the stream: the first 256 samples, the headline attacks (the CLIP paper's PGD-L2 ε=2 with
   * 100 steps of 0.25, PGD-L∞ ε=0.03, FGSM at the same ε), noise, certified accuracy (also at ε=2, so the dashboards'
   * band between certified and PGD accuracy has both ends) and a short minimal-perturbation
   * search — a few seconds per snapshot on two cores. The offline {@code estimate} runs the full default suite.
   */
  public static ProbeConfig streamProbes() {
    return ProbeConfig.defaults().withSamples(256)
        .withAttacks(List.of(
            ProbeConfig.AttackSpec.fgsm(ProbeConfig.Norm.L2, 2.0),
            ProbeConfig.AttackSpec.pgd(ProbeConfig.Norm.L2, 2.0, 100, 0.25),
            ProbeConfig.AttackSpec.fgsm(ProbeConfig.Norm.LINF, 0.03),
            ProbeConfig.AttackSpec.pgd(ProbeConfig.Norm.LINF, 0.03, 20, 2.5 * 0.03 / 20)))
        // certified radii include the PGD-L2 attack's ε = 2: the true robust accuracy there lies between the two
        .withCertifiedEps(List.of(0.1, 0.25, 0.5, 1.0, 2.0))
        .withMinPerturbation(new ProbeConfig.MinPerturbationSpec(8.0, 6, 10))
        .withTimeBudget(java.time.Duration.ofSeconds(30));
  }

  /** The stream's budget of seqlip-greedy: an estimate (not a bound) that every stream snapshot cuts by its budget. */
  public static final java.time.Duration SEQLIP_STREAM_BUDGET = java.time.Duration.ofSeconds(2);

  /**
   * The engine in the stream: the defaults, with seqlip-greedy capped at {@link #SEQLIP_STREAM_BUDGET} — on the demo MLP
   * its greedy search finishes in ≈ 1.5 s beside the probes, and a search that does not finish must not hold the
   * estimate's critical path (the engine shares two cores with the probes) for the full 3 s. Not less: its SVDs come
   * first and under load take most of a second, and a budget spent in them leaves no value.
   */
  public static EngineConfig streamEngine() {
    return EngineConfig.defaults().withBudgetCap(io.lipwatch.estimator.bounds.SeqLip.METHOD, SEQLIP_STREAM_BUDGET);
  }

  public static EstimatorSettings defaults() {
    return new EstimatorSettings(SnapshotLimits.defaults(), streamEngine(), streamProbes(), null, null);
  }
}
