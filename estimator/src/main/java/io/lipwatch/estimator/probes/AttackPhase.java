package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.probes.Attacks.Batch;
import io.lipwatch.estimator.probes.Attacks.Outcome;
import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Kind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Robust accuracy under each configured attack, in the configured order. A sample counts as broken when any loss or
 * restart fooled it, or when an earlier attack of the same norm and ε broke it: each figure is the accuracy under the
 * attacks so far at that norm and ε (an ensemble, as AutoAttack reports; never above the attack's own figure). So each
 * loss, restart and attack runs only on the samples still standing — misclassified and broken samples are left out of
 * the batch ({@link Attacks.Batch#select}), which does not change any other sample's outcome (rows are independent).
 * An attack the time budget cut short is not reported (a partial figure would overstate robustness).
 */
final class AttackPhase implements ProbePhase {
  /** Leave out samples already broken (false: every sample of every batch is attacked, for tests). */
  private final boolean skipBroken;

  AttackPhase() {
    this(true);
  }

  AttackPhase(boolean skipBroken) {
    this.skipBroken = skipBroken;
  }

  @Override
  public String name() {
    return "attacks";
  }

  @Override
  public void run(ProbeRun run) {
    ProbeConfig cfg = run.config;
    if (!run.gradients()) {
      if (!cfg.attacks().isEmpty() || cfg.minPerturbation() != null) {
        run.warnings.add("attacks and minimal perturbation skipped: " + Dl4jClassifier.GRAPH_NO_GRADIENT);
      }
      return;
    }
    List<String> skipped = new ArrayList<>();
    // per (norm, ε): the samples no attack of that norm and ε has broken so far
    Map<String, boolean[]> standing = new HashMap<>();
    for (int a = 0; a < cfg.attacks().size(); a++) {
      AttackSpec spec = cfg.attacks().get(a);
      if (run.deadline.passed()) {
        skipped.add(spec.toString());
        continue;
      }
      String key = spec.norm() + "/" + spec.eps();
      boolean[] robust = runOne(run, a, spec, standing.getOrDefault(key, run.correct));
      if (robust != null) {
        standing.put(key, robust);
      }
    }
    if (!skipped.isEmpty()) {
      run.warnings.add("time budget of " + cfg.timeBudget().toSeconds() + " s reached: skipped "
          + String.join(", ", skipped));
    }
  }

  /** Runs one attack from the samples still standing; returns its robust samples, or null when it was not reported. */
  private boolean[] runOne(ProbeRun run, int index, AttackSpec spec, boolean[] start) {
    long t0 = System.nanoTime();
    Attack attack = AttackAlgorithms.forSpec(spec);
    Classifier c = run.classifier;
    List<LogitLoss> wanted = attack.losses(spec);
    List<LogitLoss> losses = wanted.stream().filter(c::supports).toList();
    if (losses.size() < wanted.size()) {
      run.warnings.add("attack " + spec + ": the " + c.path() + " gradient path carries cross-entropy only; ran "
          + losses.stream().map(LogitLoss::label).toList());
    }
    boolean[] robust = (skipBroken ? start : run.correct).clone();
    for (int bi = 0; bi < run.batches.size(); bi++) {
      Batch b = run.batches.get(bi);
      for (LogitLoss loss : losses) {
        for (int r = 0; r < attack.restarts(spec); r++) {
          Batch sub = skipBroken ? standing(b, robust) : b;
          if (sub == null) {
            break;
          }
          long seed = ProbeRunner.mix(run.config.seed(), 2, index, bi * 1000L + r);
          Outcome o = attack.attack(c, sub, spec, loss, seed, run.lo(), run.hi(), run.deadline, run.observer);
          if (o.aborted) {
            run.warnings.add("attack " + spec + " stopped by the time budget (" + run.config.timeBudget().toSeconds()
                + " s): not reported");
            return null;
          }
          run.health.add(o, spec);
          for (int i = 0; i < sub.n(); i++) {
            robust[b.offset() + sub.parentRow(i)] &= !o.fooled[i];
          }
        }
      }
    }
    double secs = ProbeRunner.round((System.nanoTime() - t0) / 1e9);
    boolean pgd = spec.kind() == Kind.PGD;
    run.attacks.add(new Probes.AttackResult(spec.kind().label(), spec.norm().label(), spec.eps(),
        pgd ? spec.steps() : null,
        pgd && spec.schedule() == ProbeConfig.Schedule.FIXED ? spec.stepSize() : null,
        ProbeRun.fraction(robust), secs, losses.stream().map(LogitLoss::label).toList(),
        pgd ? spec.schedule().label() : null));
    run.attackDetail.add(new ProbeResult.AttackDetail(spec, robust));
    return robust;
  }

  /** The rows of b still standing: b itself when all are, null when none is. */
  static Batch standing(Batch b, boolean[] robust) {
    int[] idx = new int[b.n()];
    int m = 0;
    for (int i = 0; i < b.n(); i++) {
      if (robust[b.offset() + i]) {
        idx[m++] = i;
      }
    }
    return m == 0 ? null : m == b.n() ? b : b.select(java.util.Arrays.copyOf(idx, m));
  }
}
