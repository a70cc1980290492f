package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.probes.Attacks.Batch;
import io.lipwatch.estimator.probes.Attacks.Outcome;
import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Kind;
import io.lipwatch.estimator.probes.ProbeConfig.MinPerturbationSpec;
import io.lipwatch.estimator.probes.ProbeConfig.Norm;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Median minimal L2 adversarial perturbation: per sample, PGD-L2 at maxEps, then bisection on ε. The bracket's upper end
 * is always the norm of an adversarial actually found, so each value is an upper bound of the true minimal perturbation.
 */
final class MinPerturbationPhase implements ProbePhase {
  @Override
  public String name() {
    return "min-perturbation";
  }

  @Override
  public void run(ProbeRun run) {
    MinPerturbationSpec mp = run.gradients() ? run.config.minPerturbation() : null;
    if (mp == null) {
      return;
    }
    if (run.deadline.passed()) {
      run.warnings.add("time budget reached: minimal-perturbation search skipped");
      return;
    }
    double[] perSample = search(run, mp);
    if (perSample == null) {
      run.warnings.add("minimal-perturbation search stopped by the time budget: not reported");
      return;
    }
    run.minPerturbationPerSample = perSample;
    int n = run.n();
    double med = ProbeRunner.median(perSample);
    long unbroken = Arrays.stream(perSample).filter(Double::isInfinite).count();
    if (Double.isInfinite(med)) {
      run.warnings.add("median minimal L2 perturbation not reported: no adversarial found up to ε=" + mp.maxEps()
          + " for " + unbroken + " of " + n + " samples");
      return;
    }
    run.minPerturbation = new Probes.MinPerturbation("l2", med);
    if (unbroken > 0) {
      run.warnings.add(unbroken + " of " + n + " samples had no adversarial up to ε=" + mp.maxEps()
          + " (counted as infinite in the median)");
    }
  }

  /** Per-sample values (0 when misclassified, +∞ when no adversarial was found), or null when the budget ran out. */
  private static double[] search(ProbeRun run, MinPerturbationSpec mp) {
    double[] value = new double[run.n()];
    for (int bi = 0; bi < run.batches.size(); bi++) {
      if (!searchBatch(run, mp, bi, value)) {
        return null;
      }
    }
    return value;
  }

  private static boolean searchBatch(ProbeRun run, MinPerturbationSpec mp, int bi, double[] value) {
    AttackSpec label = new AttackSpec(Kind.PGD, Norm.L2, mp.maxEps(), mp.pgdSteps(), 2.5 * mp.maxEps() / mp.pgdSteps(),
        true, 1);
    Batch b = run.batches.get(bi);
    boolean[] correct = run.correct;
    int n = b.n();
    double[] low = new double[n];
    double[] up = new double[n];
    Arrays.fill(up, Double.POSITIVE_INFINITY);
    double[] eps = new double[n];
    double[] alpha = new double[n];
    INDArray best = null;
    for (int round = 0; round <= mp.bisectionSteps(); round++) {
      for (int i = 0; i < n; i++) {
        boolean active = correct[b.offset() + i] && (round == 0 || Double.isFinite(up[i]));
        eps[i] = !active ? 0.0 : round == 0 ? mp.maxEps() : 0.5 * (low[i] + up[i]);
        alpha[i] = 2.5 * eps[i] / mp.pgdSteps();
      }
      // warm start: the smallest adversarial found so far, shrunk onto the new radius (projection does it)
      long seed = ProbeRunner.mix(run.config.seed(), 3, round, bi);
      Outcome o = Attacks.pgd(run.classifier, b, Norm.L2, eps, alpha, mp.pgdSteps(), true, seed, run.lo(), run.hi(),
          true, run.deadline, run.observer, best);
      if (o.aborted) {
        return false;
      }
      run.health.add(o, label);
      best = mergeBest(best, o, up, n);
      for (int i = 0; i < n; i++) {
        if (eps[i] == 0.0) {
          continue;
        }
        if (o.fooled[i]) {
          up[i] = Math.min(up[i], o.foolNorm[i]);
        } else {
          low[i] = Math.max(low[i], eps[i]);
        }
      }
    }
    for (int i = 0; i < n; i++) {
      value[b.offset() + i] = correct[b.offset() + i] ? up[i] : 0.0;
    }
    return true;
  }

  /** Rows of this round's smallest adversarials that beat the best so far (compared before {@code up} is updated). */
  private static INDArray mergeBest(INDArray best, Outcome o, double[] up, int n) {
    if (o.bestDelta == null) {
      return best;
    }
    if (best == null) {
      return o.bestDelta;
    }
    float[] take = new float[n];
    float[] keep = new float[n];
    for (int i = 0; i < n; i++) {
      take[i] = o.fooled[i] && o.foolNorm[i] < up[i] ? 1f : 0f;
      keep[i] = 1f - take[i];
    }
    INDArray t = Nd4j.createFromArray(take).reshape(n, 1);
    return best.muliColumnVector(Nd4j.createFromArray(keep).reshape(n, 1)).addi(o.bestDelta.mulColumnVector(t));
  }
}
