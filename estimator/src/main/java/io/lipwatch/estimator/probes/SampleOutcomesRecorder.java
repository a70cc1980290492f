package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.estimate.OutcomeBits;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.estimate.SampleOutcomes;
import io.lipwatch.estimator.snapshot.Sha256;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a probe run's per-sample detail into the estimate's {@code probes.outcomes}: the monitor compares two versions
 * probed on the same samples sample by sample, which tells a regression from sampling noise far better than two
 * accuracies do.
 */
public final class SampleOutcomesRecorder {
  private SampleOutcomesRecorder() {}

  /**
   * @param samples the samples probed (the head of the probe set the run used), in order
   * @param probes  the figures of the run; its attacks and radii name the outcome entries
   * @param detail  the run's per-sample outcomes, in the order of {@code probes.attacks} and {@code probes.certified}
   * @return the outcomes, or null when the detail does not line up with the figures (the estimate then carries none and
   *         the monitor compares its accuracies unpaired; a probe run never fails for it)
   */
  public static SampleOutcomes of(ProbeSet samples, Probes probes, ProbeResult.Detail detail) {
    if (detail == null || detail.correct() == null || detail.correct().length != samples.count()
        || detail.attacks().size() != probes.attacks().size() || detail.certified().size() != probes.certified().size()) {
      return null;
    }
    List<SampleOutcomes.AttackOutcomes> attacks = new ArrayList<>();
    for (int a = 0; a < probes.attacks().size(); a++) {
      Probes.AttackResult r = probes.attacks().get(a);
      attacks.add(new SampleOutcomes.AttackOutcomes(r.attack(), r.norm(), r.eps(),
          OutcomeBits.encode(detail.attacks().get(a).robust())));
    }
    List<SampleOutcomes.CertifiedOutcomes> certified = new ArrayList<>();
    for (int k = 0; k < probes.certified().size(); k++) {
      Probes.CertifiedAccuracy c = probes.certified().get(k);
      certified.add(new SampleOutcomes.CertifiedOutcomes(c.norm(), c.eps(), c.method(),
          OutcomeBits.encode(detail.certified().get(k).certified())));
    }
    return new SampleOutcomes(SampleOutcomes.BITS_LE_BASE64, samples.count(), identity(samples),
        OutcomeBits.encode(detail.correct()), attacks, certified);
  }

  /** SHA-256 of the samples in the {@code lipwatch.probesets} binary form: name, shape, range, labels, inputs, in order. */
  public static String identity(ProbeSet samples) {
    return Sha256.hex(ProbeSetCodec.encode(samples));
  }
}
