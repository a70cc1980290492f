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
  /** Search only the rows still in the bisection (false: every row of the batch runs, radius 0 when done; tests). */
  private final boolean compact;

  MinPerturbationPhase() {
    this(true);
  }

  MinPerturbationPhase(boolean compact) {
    this.compact = compact;
  }

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
  private double[] search(ProbeRun run, MinPerturbationSpec mp) {
    double[] value = new double[run.n()];
    for (int bi = 0; bi < run.batches.size(); bi++) {
      if (!searchBatch(run, mp, bi, value)) {
        return null;
      }
    }
    return value;
  }

  private boolean searchBatch(ProbeRun run, MinPerturbationSpec mp, int bi, double[] value) {
    AttackSpec label = new AttackSpec(Kind.PGD, Norm.L2, mp.maxEps(), mp.pgdSteps(), 2.5 * mp.maxEps() / mp.pgdSteps(),
        true, 1);
    Batch b = run.batches.get(bi);
    boolean[] correct = run.correct;
    int n = b.n();
    int d = b.d();
    double[] low = new double[n];
    double[] up = new double[n];
    Arrays.fill(up, Double.POSITIVE_INFINITY);
    double[] eps = new double[n];
    double[] alpha = new double[n];
    // the smallest adversarial perturbation found so far per row (zero rows: none)
    float[] best = null;
    for (int round = 0; round <= mp.bisectionSteps(); round++) {
      int[] idx = new int[n];
      int m = 0;
      for (int i = 0; i < n; i++) {
        boolean active = correct[b.offset() + i] && (round == 0 || Double.isFinite(up[i]));
        eps[i] = !active ? 0.0 : round == 0 ? mp.maxEps() : 0.5 * (low[i] + up[i]);
        alpha[i] = 2.5 * eps[i] / mp.pgdSteps();
        if (active || !compact) {
          idx[m++] = i;
        }
      }
      if (m == 0) {
        break;
      }
      // only the rows still searched (a row's run does not depend on the others; the random start is the whole batch's)
      idx = Arrays.copyOf(idx, m);
      Batch sub = m == n ? b : b.select(idx);
      // warm start: the smallest adversarial found so far, shrunk onto the new radius (projection does it)
      long seed = ProbeRunner.mix(run.config.seed(), 3, round, bi);
      Outcome o = Attacks.pgd(run.classifier, sub, Norm.L2, gather(eps, idx), gather(alpha, idx), mp.pgdSteps(), true,
          seed, run.lo(), run.hi(), true, run.deadline, run.observer, best == null ? null : rows(best, idx, d));
      if (o.aborted) {
        return false;
      }
      run.health.add(o, label);
      float[] found = o.bestDelta == null ? null : o.bestDelta.data().asFloat();
      for (int s = 0; s < m; s++) {
        int i = idx[s];
        if (eps[i] == 0.0) {
          continue;
        }
        if (o.fooled[s]) {
          if (found != null && o.foolNorm[s] < up[i]) {
            // this round's smallest adversarial beats the best so far (compared before up is updated)
            best = best == null ? new float[n * d] : best;
            System.arraycopy(found, s * d, best, i * d, d);
          }
          up[i] = Math.min(up[i], o.foolNorm[s]);
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

  private static double[] gather(double[] v, int[] idx) {
    double[] out = new double[idx.length];
    for (int s = 0; s < idx.length; s++) {
      out[s] = v[idx[s]];
    }
    return out;
  }

  private static INDArray rows(float[] v, int[] idx, int d) {
    float[] out = new float[idx.length * d];
    for (int s = 0; s < idx.length; s++) {
      System.arraycopy(v, idx[s] * d, out, s * d, d);
    }
    return Nd4j.createFromArray(out).reshape('c', idx.length, d);
  }
}
