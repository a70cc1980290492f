package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.certify.CertifiedSets;
import io.lipwatch.estimator.certify.Certifier;
import io.lipwatch.estimator.estimate.Probes;

/**
 * Certified accuracy by class-pair and by local certificates ({@link io.lipwatch.estimator.certify}), beside the global
 * entries: one {@code pairwise} and one {@code local} entry per radius. Runs only when the run has the engine's network.
 * Budgeted: at most {@link #SHARE} of the run's time budget (and never past the run's deadline), so the attacks keep
 * theirs when the phases run in turn; samples the local certificate did not reach keep their pairwise result, with a
 * warning.
 */
final class PairwiseLocalCertifiedPhase implements ProbePhase {
  /**
   * Share of the probe time budget the pairwise and local certificates may use: 12 s of the stream's 30 s, where they
   * take 2–3 s alone — they run beside the attacks there, sharing two cores with them and the engine, and a cut would
   * change their figures (pairs left at the AutoLip form, samples left at their pairwise result).
   */
  static final double SHARE = 0.4;

  @Override
  public String name() {
    return "certified-pairwise-local";
  }

  @Override
  public void run(ProbeRun run) {
    if (run.config.certifiedEps().isEmpty() || run.network == null) {
      return;
    }
    if (run.network.inputDim() != run.samples.dimension() || run.network.outputDim() != run.samples.classes()) {
      run.warnings.add("pairwise and local certificates skipped: the network's shape does not match the probe set");
      return;
    }
    long deadline = Math.min(run.deadline.endNanos(), System.nanoTime() + (long) (SHARE * run.config.timeBudget().toNanos()));
    int n = run.n();
    double[][] x = new double[n][];
    for (int i = 0; i < n; i++) {
      x[i] = run.samples.input(i);
    }
    CertifiedSets cs = Certifier.run(run.network, x, run.samples.labels(), run.correct, run.config.certifiedEps(),
        usable(run.soundUpperBound), deadline);
    run.warnings.addAll(cs.warnings());
    for (CertifiedSets.Method m : new CertifiedSets.Method[] {CertifiedSets.Method.PAIRWISE, CertifiedSets.Method.LOCAL}) {
      for (CertifiedSets.PerEps pe : cs.perEps()) {
        boolean[] cert = pe.of(m);
        run.certified.add(new Probes.CertifiedAccuracy("l2", pe.eps(), ProbeRun.fraction(cert), m.label()));
        run.certifiedDetail.add(new ProbeResult.CertifiedDetail(pe.eps(), cert, m.label()));
      }
    }
  }

  private static Double usable(Double b) {
    return b != null && Double.isFinite(b) && b > 0 ? b : null;
  }
}
