package io.lipwatch.monitor.verdict;

import io.lipwatch.estimator.estimate.Architecture;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.LipschitzBounds;
import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.OutcomeBits;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.estimate.SampleOutcomes;
import io.lipwatch.estimator.estimate.UpperBound;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Hand-built estimates with per-sample outcomes, shaped like the stream's probes: clean accuracy, three attacks
 * ({@link #ATTACKS}) and certified accuracy at L2 ε=0.1 ({@link #CERTIFIED}), every figure the fraction of its bits set.
 */
final class PairedEstimates {
  static final String CLEAN = "clean";
  /** attack, norm, ε of the attacks; their keys are {@code attack/norm/eps}. */
  static final List<Object[]> ATTACKS = List.of(new Object[] {"fgsm", "l2", 2.0}, new Object[] {"pgd", "l2", 2.0},
      new Object[] {"pgd", "linf", 0.03});
  static final String CERTIFIED = "l2/0.1";
  static final String SAMPLES_SHA = "5".repeat(64);

  private PairedEstimates() {}

  static String key(Object[] attack) {
    return VersionSummary.robustKey((String) attack[0], (String) attack[1], (double) attack[2]);
  }

  /**
   * @param outcomes bits per key ({@link #CLEAN}, an attack key, {@link #CERTIFIED}); all of the same length
   * @param paired   whether the estimate carries its outcomes (false: accuracies only, as before)
   * @param sha      the samples' identity
   */
  static Estimate estimate(String model, long version, double bestUpper, Map<String, boolean[]> outcomes, boolean paired,
      String sha) {
    int n = outcomes.get(CLEAN).length;
    List<Probes.AttackResult> attacks = new ArrayList<>();
    List<SampleOutcomes.AttackOutcomes> attackBits = new ArrayList<>();
    for (Object[] a : ATTACKS) {
      boolean[] b = outcomes.get(key(a));
      attacks.add(new Probes.AttackResult((String) a[0], (String) a[1], (double) a[2], null, null, fraction(b), 0.1));
      attackBits.add(new SampleOutcomes.AttackOutcomes((String) a[0], (String) a[1], (double) a[2], OutcomeBits.encode(b)));
    }
    boolean[] cert = outcomes.get(CERTIFIED);
    Probes probes = new Probes("fashion-mnist", n, fraction(outcomes.get(CLEAN)), List.of(), attacks,
        List.of(new Probes.CertifiedAccuracy("l2", 0.1, fraction(cert))), null, 1.0);
    if (paired) {
      probes = probes.withOutcomes(new SampleOutcomes(SampleOutcomes.BITS_LE_BASE64, n, sha,
          OutcomeBits.encode(outcomes.get(CLEAN)), attackBits,
          List.of(new SampleOutcomes.CertifiedOutcomes("l2", 0.1, null, OutcomeBits.encode(cert)))));
    }
    return new Estimate(model, version, "a".repeat(64), DriftEstimates.DAY0.plusSeconds(3600L * version).toString(),
        new Architecture("MultiLayerNetwork", 3, 784, List.of(784L), 10),
        LipschitzBounds.of(List.of(new UpperBound("autolip", bestUpper, true, 0.01)),
            List.of(new LowerBound("clip-pairs", bestUpper / 4, 0.1))), probes, List.of(), 0.1, null);
  }

  static double fraction(boolean[] b) {
    int k = 0;
    for (boolean x : b) {
      k += x ? 1 : 0;
    }
    return k / (double) b.length;
  }

  /** n bits, the first {@code ones} set. */
  static boolean[] firstSet(int n, int ones) {
    boolean[] b = new boolean[n];
    for (int i = 0; i < ones; i++) {
      b[i] = true;
    }
    return b;
  }
}
