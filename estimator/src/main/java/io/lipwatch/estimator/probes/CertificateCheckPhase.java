package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.certify.CertificateCheck;
import java.util.ArrayList;
import java.util.List;

/**
 * The last phase: no sample certified by any method may have been broken by an attack of this run or by the
 * minimal-perturbation search ({@link CertificateCheck}). A violation is an internal error: logged, counted
 * ({@code lipwatch_certificate_violations_total{model}}, from the estimate's warning) and a warning of the estimate.
 */
final class CertificateCheckPhase implements ProbePhase {
  @Override
  public String name() {
    return "certificate-check";
  }

  @Override
  public void run(ProbeRun run) {
    if (run.certifiedDetail.isEmpty() || run.correct == null) {
      return;
    }
    List<CertificateCheck.Certified> certified = new ArrayList<>();
    for (ProbeResult.CertifiedDetail d : run.certifiedDetail) {
      certified.add(new CertificateCheck.Certified(d.method(), d.eps(), d.certified()));
    }
    List<CertificateCheck.AttackOutcome> attacks = new ArrayList<>();
    for (ProbeResult.AttackDetail a : run.attackDetail) {
      attacks.add(new CertificateCheck.AttackOutcome(a.spec().toString(), a.spec().norm().label(), a.spec().eps(),
          a.robust()));
    }
    List<CertificateCheck.Violation> v = CertificateCheck.find(run.correct, certified, attacks,
        run.minPerturbationPerSample, run.samples.dimension());
    String warning = CertificateCheck.report(run.samples.name(), v);
    if (warning != null) {
      run.warnings.add(warning);
    }
  }
}
