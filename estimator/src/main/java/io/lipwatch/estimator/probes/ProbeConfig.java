package io.lipwatch.estimator.probes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@link ProbeRunner} measures, and how hard it tries. Immutable; {@link #defaults()} gives the suite the design
 * asks for (it includes the CLIP paper's PGD-L2 ε=2, step 0.25, 100 steps, random start).
 *
 * @param samples       probe samples used, from the start of the set (0 = all)
 * @param batchSize     samples per batch (batches are built once; larger batches make faster matrix products)
 * @param seed          seed of every random draw (noise, random starts): same seed, same figures
 * @param noiseSigmas   standard deviations of the Gaussian-noise accuracy (noise is clipped to the input range)
 * @param attacks       FGSM / PGD attacks, each reported as robust accuracy
 * @param certifiedEps  L2 radii of the certified accuracy (needs a sound Lipschitz bound)
 * @param minPerturbation settings of the minimal-perturbation search, or null to skip it
 * @param timeBudget    wall-time budget of the whole run; attacks that do not fit are skipped with a warning
 */
public record ProbeConfig(int samples, int batchSize, long seed, List<Double> noiseSigmas, List<AttackSpec> attacks,
    List<Double> certifiedEps, MinPerturbationSpec minPerturbation, Duration timeBudget) {

  public enum Norm {
    L2, LINF;

    /** The name used in the estimate JSON and metric labels. */
    public String label() {
      return this == L2 ? "l2" : "linf";
    }
  }

  public enum Kind {
    FGSM, PGD;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** How PGD chooses its steps. */
  public enum Schedule {
    /** {@code steps} steps of the fixed {@code stepSize} (Madry et al.). */
    FIXED,
    /** APGD's schedule: initial step 2ε, momentum, halving and restart from the best point at checkpoints. */
    APGD;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The losses PGD ascends by default: cross-entropy and the difference-of-logits ratio (APGD-CE + APGD-DLR). */
  public static final List<LogitLoss> STRONG_LOSSES = List.of(LogitLoss.CE, LogitLoss.DLR);

  /**
   * One attack. FGSM: a single step of size ε from the clean input (sign of the gradient for L∞, normalised gradient
   * for L2) on cross-entropy; steps, stepSize, randomStart, restarts, losses and schedule are ignored. PGD: for each
   * loss in {@code losses}, {@code restarts} runs of {@code steps} steps (fixed {@code stepSize}, or APGD's schedule,
   * which ignores it), each iterate projected exactly onto the ε-ball ∩ the input range; a sample broken by any loss or
   * run counts as broken.
   */
  public record AttackSpec(Kind kind, Norm norm, double eps, int steps, double stepSize, boolean randomStart, int restarts,
      List<LogitLoss> losses, Schedule schedule) {
    public AttackSpec {
      if (kind == null || norm == null) {
        throw new IllegalArgumentException("attack needs a kind and a norm");
      }
      if (!(eps >= 0) || Double.isInfinite(eps)) {
        throw new IllegalArgumentException("attack ε must be finite and ≥ 0, got " + eps);
      }
      if (kind == Kind.PGD && (steps < 1 || !(stepSize > 0) || restarts < 1)) {
        throw new IllegalArgumentException("PGD needs steps ≥ 1, stepSize > 0 and restarts ≥ 1");
      }
      losses = losses == null || losses.isEmpty() ? List.of(LogitLoss.CE) : List.copyOf(losses);
      schedule = schedule == null ? Schedule.FIXED : schedule;
    }

    /** Plain PGD on cross-entropy with a fixed step (the form papers report). */
    public AttackSpec(Kind kind, Norm norm, double eps, int steps, double stepSize, boolean randomStart, int restarts) {
      this(kind, norm, eps, steps, stepSize, randomStart, restarts, List.of(LogitLoss.CE), Schedule.FIXED);
    }

    public static AttackSpec fgsm(Norm norm, double eps) {
      return new AttackSpec(Kind.FGSM, norm, eps, 1, eps, false, 1);
    }

    /**
     * The default PGD: {@link #STRONG_LOSSES} with APGD's schedule, random start. {@code stepSize} is kept for the
     * record (and used by {@link #plain()}).
     */
    public static AttackSpec pgd(Norm norm, double eps, int steps, double stepSize) {
      return new AttackSpec(Kind.PGD, norm, eps, steps, stepSize, true, 1, STRONG_LOSSES, Schedule.APGD);
    }

    /** The same attack as plain cross-entropy PGD with the fixed step (for comparisons and paper tables). */
    public AttackSpec plain() {
      return new AttackSpec(kind, norm, eps, steps, stepSize, randomStart, restarts, List.of(LogitLoss.CE), Schedule.FIXED);
    }

    public AttackSpec withRestarts(int r) {
      return new AttackSpec(kind, norm, eps, steps, stepSize, randomStart, r, losses, schedule);
    }

    public AttackSpec withRandomStart(boolean r) {
      return new AttackSpec(kind, norm, eps, steps, stepSize, r, restarts, losses, schedule);
    }

    public AttackSpec withLosses(List<LogitLoss> l) {
      return new AttackSpec(kind, norm, eps, steps, stepSize, randomStart, restarts, l, schedule);
    }

    public AttackSpec withSchedule(Schedule s) {
      return new AttackSpec(kind, norm, eps, steps, stepSize, randomStart, restarts, losses, s);
    }

    @Override
    public String toString() {
      return kind == Kind.FGSM ? String.format(Locale.ROOT, "fgsm %s ε=%s", norm.label(), eps)
          : String.format(Locale.ROOT, "pgd %s ε=%s steps=%d %s%s losses=%s", norm.label(), eps, steps,
              schedule == Schedule.APGD ? "apgd" : "step=" + stepSize, restarts > 1 ? " restarts=" + restarts : "",
              String.join("+", losses.stream().map(LogitLoss::label).toList()));
    }
  }

  /**
   * Minimal L2 perturbation per sample: PGD-L2 at {@code maxEps}, then {@code bisectionSteps} bisections on ε, each a
   * PGD-L2 of {@code pgdSteps} steps of size 2.5·ε/pgdSteps with a random start. The value kept per sample is the
   * norm of the smallest adversarial perturbation actually found (an upper bound of the true minimum).
   */
  public record MinPerturbationSpec(double maxEps, int bisectionSteps, int pgdSteps) {
    public MinPerturbationSpec {
      if (!(maxEps > 0) || bisectionSteps < 0 || pgdSteps < 1) {
        throw new IllegalArgumentException("min-perturbation search needs maxEps > 0, bisectionSteps ≥ 0, pgdSteps ≥ 1");
      }
    }
  }

  public ProbeConfig {
    if (samples < 0 || batchSize < 1) {
      throw new IllegalArgumentException("samples must be ≥ 0 and batchSize ≥ 1");
    }
    noiseSigmas = List.copyOf(noiseSigmas);
    attacks = List.copyOf(attacks);
    certifiedEps = List.copyOf(certifiedEps);
    for (double s : noiseSigmas) {
      if (!(s >= 0) || Double.isInfinite(s)) {
        throw new IllegalArgumentException("noise σ must be finite and ≥ 0, got " + s);
      }
    }
    for (double e : certifiedEps) {
      if (!(e >= 0) || Double.isInfinite(e)) {
        throw new IllegalArgumentException("certified ε must be finite and ≥ 0, got " + e);
      }
    }
    if (timeBudget == null || timeBudget.isNegative() || timeBudget.isZero()) {
      throw new IllegalArgumentException("time budget must be positive");
    }
  }

  /**
   * FGSM and PGD in L∞ (ε 0.01, 0.03, 0.1; PGD 20 steps of 2.5·ε/20) and L2 (ε 0.5, 1: 50 steps of 2.5·ε/50;
   * ε 2: 100 steps of 0.25), all PGD with a random start. Sized to fit the 10 s suite target on 1000 samples.
   */
  public static List<AttackSpec> defaultAttacks() {
    List<AttackSpec> a = new ArrayList<>();
    for (double e : List.of(0.01, 0.03, 0.1)) {
      a.add(AttackSpec.fgsm(Norm.LINF, e));
    }
    for (double e : List.of(0.5, 1.0, 2.0)) {
      a.add(AttackSpec.fgsm(Norm.L2, e));
    }
    // L∞: Madry et al.'s rule, step 2.5·ε/steps
    for (double e : List.of(0.01, 0.03, 0.1)) {
      a.add(AttackSpec.pgd(Norm.LINF, e, 20, 2.5 * e / 20));
    }
    // smaller L2 radii converge in fewer steps; ε=2 is the CLIP paper's setting (step 0.25, 100 steps)
    a.add(AttackSpec.pgd(Norm.L2, 0.5, 50, 0.5 * 2.5 / 50));
    a.add(AttackSpec.pgd(Norm.L2, 1.0, 50, 1.0 * 2.5 / 50));
    a.add(AttackSpec.pgd(Norm.L2, 2.0, 100, 0.25));
    return List.copyOf(a);
  }

  public static ProbeConfig defaults() {
    return new ProbeConfig(0, 1000, 42L, List.of(0.1, 0.3, 1.0), defaultAttacks(), List.of(0.1, 0.25, 0.5, 1.0),
        new MinPerturbationSpec(8.0, 8, 10), Duration.ofSeconds(60));
  }

  public ProbeConfig withSamples(int n) {
    return new ProbeConfig(n, batchSize, seed, noiseSigmas, attacks, certifiedEps, minPerturbation, timeBudget);
  }

  public ProbeConfig withBatchSize(int b) {
    return new ProbeConfig(samples, b, seed, noiseSigmas, attacks, certifiedEps, minPerturbation, timeBudget);
  }

  public ProbeConfig withSeed(long s) {
    return new ProbeConfig(samples, batchSize, s, noiseSigmas, attacks, certifiedEps, minPerturbation, timeBudget);
  }

  public ProbeConfig withNoiseSigmas(List<Double> s) {
    return new ProbeConfig(samples, batchSize, seed, s, attacks, certifiedEps, minPerturbation, timeBudget);
  }

  public ProbeConfig withAttacks(List<AttackSpec> a) {
    return new ProbeConfig(samples, batchSize, seed, noiseSigmas, a, certifiedEps, minPerturbation, timeBudget);
  }

  public ProbeConfig withCertifiedEps(List<Double> e) {
    return new ProbeConfig(samples, batchSize, seed, noiseSigmas, attacks, e, minPerturbation, timeBudget);
  }

  /** null skips the minimal-perturbation search. */
  public ProbeConfig withMinPerturbation(MinPerturbationSpec m) {
    return new ProbeConfig(samples, batchSize, seed, noiseSigmas, attacks, certifiedEps, m, timeBudget);
  }

  public ProbeConfig withTimeBudget(Duration d) {
    return new ProbeConfig(samples, batchSize, seed, noiseSigmas, attacks, certifiedEps, minPerturbation, d);
  }
}
