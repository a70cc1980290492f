package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.probes.Attacks.Batch;
import io.lipwatch.estimator.probes.Attacks.Outcome;
import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * Robust accuracy under each configured attack, in the configured order. A sample counts as broken when any loss or
 * restart fooled it; an attack the time budget cut short is not reported (a partial figure would overstate robustness).
 */
final class AttackPhase implements ProbePhase {
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
    for (int a = 0; a < cfg.attacks().size(); a++) {
      AttackSpec spec = cfg.attacks().get(a);
      if (run.deadline.passed()) {
        skipped.add(spec.toString());
        continue;
      }
      runOne(run, a, spec);
    }
    if (!skipped.isEmpty()) {
      run.warnings.add("time budget of " + cfg.timeBudget().toSeconds() + " s reached: skipped "
          + String.join(", ", skipped));
    }
  }

  private static void runOne(ProbeRun run, int index, AttackSpec spec) {
    long t0 = System.nanoTime();
    Attack attack = AttackAlgorithms.forSpec(spec);
    Classifier c = run.classifier;
    List<LogitLoss> wanted = attack.losses(spec);
    List<LogitLoss> losses = wanted.stream().filter(c::supports).toList();
    if (losses.size() < wanted.size()) {
      run.warnings.add("attack " + spec + ": the " + c.path() + " gradient path carries cross-entropy only; ran "
          + losses.stream().map(LogitLoss::label).toList());
    }
    boolean[] robust = run.correct.clone();
    for (int bi = 0; bi < run.batches.size(); bi++) {
      Batch b = run.batches.get(bi);
      for (LogitLoss loss : losses) {
        for (int r = 0; r < attack.restarts(spec); r++) {
          long seed = ProbeRunner.mix(run.config.seed(), 2, index, bi * 1000L + r);
          Outcome o = attack.attack(c, b, spec, loss, seed, run.lo(), run.hi(), run.deadline, run.observer);
          if (o.aborted) {
            run.warnings.add("attack " + spec + " stopped by the time budget (" + run.config.timeBudget().toSeconds()
                + " s): not reported");
            return;
          }
          run.health.add(o, spec);
          for (int i = 0; i < b.n(); i++) {
            robust[b.offset() + i] &= !o.fooled[i];
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
  }
}
