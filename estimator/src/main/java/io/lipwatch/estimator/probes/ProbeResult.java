package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.estimate.Probes;
import java.util.List;

/**
 * What {@link ProbeRunner#run} returns: the {@code probes} block of the estimate, the warnings that belong in the
 * estimate's {@code warnings}, and per-sample detail for callers and tests (never written to the JSON).
 */
public record ProbeResult(Probes probes, List<String> warnings, Detail detail) {

  /**
   * Per-sample outcomes, indexed like the probe samples used.
   *
   * @param correct          clean prediction equals the label
   * @param margins          logit margin (top logit − runner-up) at the clean input, computed in double precision
   * @param attacks          one entry per attack reported in {@code probes.attacks}, same order
   * @param certified        one entry per radius in {@code probes.certified}, same order (empty without a sound bound)
   * @param minPerturbation  smallest adversarial L2 perturbation found per sample (0 when misclassified, +∞ when none
   *                         was found), or null when the search did not run
   */
  public record Detail(boolean[] correct, double[] margins, List<AttackDetail> attacks, List<CertifiedDetail> certified,
      double[] minPerturbation) {}

  /** robust[i]: sample i is correctly classified and no iterate of the attack misclassified it. */
  public record AttackDetail(ProbeConfig.AttackSpec spec, boolean[] robust) {}

  /**
   * certified[i]: sample i is certified at ε by {@code method} (global: correctly classified and its margin exceeds
   * √2·L·ε; pairwise and local: see the certify package).
   */
  public record CertifiedDetail(double eps, boolean[] certified, String method) {
    public CertifiedDetail(double eps, boolean[] certified) {
      this(eps, certified, Probes.CertifiedAccuracy.GLOBAL);
    }
  }
}
