package io.lipwatch.estimator.probes;

import java.util.List;

/** The probe phases in the order they run: cheapest first, so a tight time budget still yields the basic figures. */
final class ProbePhases {
  private ProbePhases() {}

  static final List<ProbePhase> DEFAULT = List.of(
      new CleanAccuracyPhase(),
      new NoiseAccuracyPhase(),
      new CertifiedAccuracyPhase(),
      new PairwiseLocalCertifiedPhase(),
      new AttackPhase(),
      new MinPerturbationPhase(),
      new CertificateCheckPhase());
}
