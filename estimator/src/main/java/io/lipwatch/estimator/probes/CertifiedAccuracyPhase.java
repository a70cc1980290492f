package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.estimate.Probes;

/**
 * Certified accuracy from the global sound bound L: a correctly classified sample is certified at ε when its margin
 * exceeds √2·L·ε, because every logit difference z_y − z_k is √2·L-Lipschitz in L2.
 */
final class CertifiedAccuracyPhase implements ProbePhase {
  @Override
  public String name() {
    return "certified";
  }

  @Override
  public void run(ProbeRun run) {
    if (run.config.certifiedEps().isEmpty()) {
      return;
    }
    Double bound = run.soundUpperBound;
    if (bound == null || !Double.isFinite(bound) || bound <= 0) {
      run.warnings.add("certified accuracy skipped: no sound Lipschitz upper bound"
          + (bound == null ? "" : " (got " + bound + ")"));
      return;
    }
    for (double eps : run.config.certifiedEps()) {
      double need = Math.sqrt(2.0) * bound * eps;
      boolean[] cert = new boolean[run.n()];
      for (int i = 0; i < cert.length; i++) {
        cert[i] = run.correct[i] && run.margins[i] > need;
      }
      run.certified.add(new Probes.CertifiedAccuracy("l2", eps, ProbeRun.fraction(cert)));
      run.certifiedDetail.add(new ProbeResult.CertifiedDetail(eps, cert));
    }
  }
}
