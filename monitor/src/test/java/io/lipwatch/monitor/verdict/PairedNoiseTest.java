package io.lipwatch.monitor.verdict;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lipwatch.estimator.estimate.Verdict;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Ground truth for the paired verdicts: a stable model whose versions differ only by probe noise, and a true regression.
 *
 * <p>Stable model: per figure (clean 0.87, FGSM-L2 0.27, PGD-L2 0.10, PGD-L∞ 0.67, certified 0.10; the demo's levels)
 * each of the 256 samples has a fixed latent margin z_i ~ N(0, 1), and each version draws its outcome afresh as
 * z_i + τ·N(0, 1) > t: every sample passes with its own fixed probability Φ((z_i − t)/τ), independently per version.
 * τ = 0.12 gives the demo's version-to-version spread (about 1.3 points); τ = 0.5 is noisier; "fresh" draws every sample
 * with the same probability (the worst case, ±3 points). The bound is the same on every version, so only accuracy checks
 * can fire. The old rule is the same estimates without their outcomes (thresholds alone).
 *
 * <p>Regression: five stable versions, then one whose PGD-L∞ (or FGSM-L2) accuracy is 10 points lower (the threshold t
 * moved so that the mean drops by 0.10), judged against the last PASS and the reference.
 */
class PairedNoiseTest {
  static final int N = 256;
  static final int VERSIONS = 20;
  static final int SEQUENCES = 400;
  static final int REGRESSIONS = 400;
  static final Map<String, Double> LEVELS = levels();
  static final double FRESH = Double.POSITIVE_INFINITY;

  static Map<String, Double> levels() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put(PairedEstimates.CLEAN, 0.87);
    m.put("fgsm/l2/2.0", 0.27);
    m.put("pgd/l2/2.0", 0.10);
    m.put("pgd/linf/0.03", 0.67);
    m.put(PairedEstimates.CERTIFIED, 0.10);
    return m;
  }

  /** One model: fixed latent margins per figure; each version draws its outcomes. */
  static final class Model {
    final Random r;
    final double tau;
    final Map<String, double[]> z = new HashMap<>();

    Model(long seed, double tau) {
      r = new Random(seed);
      this.tau = tau;
      LEVELS.keySet().forEach(k -> z.put(k, r.doubles(N).map(u -> r.nextGaussian()).toArray()));
    }

    /** Outcomes of one version; {@code drops} lowers the mean accuracy of some figures. */
    Map<String, boolean[]> version(Map<String, Double> drops) {
      Map<String, boolean[]> out = new HashMap<>();
      for (Map.Entry<String, Double> e : LEVELS.entrySet()) {
        double p = e.getValue() - drops.getOrDefault(e.getKey(), 0.0);
        double[] zi = z.get(e.getKey());
        boolean[] b = new boolean[N];
        if (Double.isInfinite(tau)) {
          for (int i = 0; i < N; i++) {
            b[i] = r.nextDouble() < p;
          }
        } else {
          // the margins z + τε have variance 1 + τ²: scale the threshold so the mean accuracy is p
          double t = DriftNoiseTest.quantile(1 - p) * Math.sqrt(1 + tau * tau);
          for (int i = 0; i < N; i++) {
            b[i] = zi[i] + tau * r.nextGaussian() > t;
          }
        }
        out.put(e.getKey(), b);
      }
      return out;
    }
  }

  static final Policy PER_VERDICT = Policy.defaults();
  static final Policy PER_CHECK = Policy.defaults().withSignificance(new SignificancePolicy(0.01, SignificancePolicy.CHECK));

  /** Rates of a stable model's non-PASS versions (those with a baseline): paired per verdict, per check, unpaired. */
  record Rates(double perVerdict, double perCheck, double unpaired, double sd) {}

  static Rates stable(double tau) {
    int versions = 0;
    int[] alarms = new int[3];
    DriftNoiseTest.Spread fgsmSpread = new DriftNoiseTest.Spread();
    for (int s = 0; s < SEQUENCES; s++) {
      Model m = new Model(7000 + s, tau);
      DriftNoiseTest.Judge[] judges = {new DriftNoiseTest.Judge(PER_VERDICT), new DriftNoiseTest.Judge(PER_CHECK),
          new DriftNoiseTest.Judge(PER_VERDICT)};
      fgsmSpread.newSequence();
      for (int k = 1; k <= VERSIONS; k++) {
        Map<String, boolean[]> o = m.version(Map.of());
        fgsmSpread.add(PairedEstimates.fraction(o.get("fgsm/l2/2.0")));
        Verdict[] v = new Verdict[3];
        for (int j = 0; j < 3; j++) {
          // the third judge sees the same figures without their outcomes: the old, unpaired rule
          v[j] = judges[j].next(PairedEstimates.estimate("m", k, 72, o, j < 2, PairedEstimates.SAMPLES_SHA));
        }
        if (k == 1) {
          continue;
        }
        versions++;
        for (int j = 0; j < 3; j++) {
          alarms[j] += Verdict.PASS.equals(v[j].verdict()) ? 0 : 1;
        }
        assertTrue(v[0].checks().stream().noneMatch(c -> McNemar.UNPAIRED.equals(c.test())), v[0].checks().toString());
      }
    }
    return new Rates(alarms[0] / (double) versions, alarms[1] / (double) versions, alarms[2] / (double) versions,
        fgsmSpread.points());
  }

  /**
   * Five stable versions, then three whose figure {@code key} is 10 points lower: the rate at which the first regressed
   * version FAILs, and at which one of the three is not PASS.
   */
  static double[] regression(double tau, String key, Policy policy) {
    int fail = 0;
    int within3 = 0;
    for (int s = 0; s < REGRESSIONS; s++) {
      Model m = new Model(9000 + s, tau);
      DriftNoiseTest.Judge j = new DriftNoiseTest.Judge(policy);
      for (int k = 1; k <= 5; k++) {
        j.next(PairedEstimates.estimate("m", k, 72, m.version(Map.of()), true, PairedEstimates.SAMPLES_SHA));
      }
      boolean flagged = false;
      for (int k = 6; k <= 8; k++) {
        Verdict v = j.next(PairedEstimates.estimate("m", k, 72, m.version(Map.of(key, 0.10)), true,
            PairedEstimates.SAMPLES_SHA));
        fail += k == 6 && Verdict.FAIL.equals(v.verdict()) ? 1 : 0;
        flagged |= !Verdict.PASS.equals(v.verdict());
      }
      within3 += flagged ? 1 : 0;
    }
    return new double[] {fail / (double) REGRESSIONS, within3 / (double) REGRESSIONS};
  }

  @Test
  void pairedVerdictsIgnoreProbeNoiseAndStillCatchARegression() {
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-7s %5s | %8s %8s %8s | %-9s %9s %9s %9s %9s%n",
        "noise", "sd", "verdict", "check", "unpaired", "10 points", "FAIL@1 v", "flag≤3 v", "FAIL@1 c", "flag≤3 c"));
    Map<Double, Rates> rates = new LinkedHashMap<>();
    Map<String, double[]> caught = new LinkedHashMap<>();
    for (double tau : new double[] {0.12, 0.5, FRESH}) {
      Rates x = stable(tau);
      rates.put(tau, x);
      String noise = Double.isInfinite(tau) ? "fresh" : "τ=" + tau;
      boolean first = true;
      for (String key : List.of("pgd/linf/0.03", "fgsm/l2/2.0")) {
        double[] v = regression(tau, key, PER_VERDICT);
        double[] c = regression(tau, key, PER_CHECK);
        caught.put(tau + " " + key, v);
        out.append(first ? String.format(Locale.ROOT, "%-7s %5.2f | %8.4f %8.4f %8.4f | ", noise, x.sd(), x.perVerdict(),
            x.perCheck(), x.unpaired()) : String.format(Locale.ROOT, "%-7s %5s | %8s %8s %8s | ", "", "", "", "", ""));
        out.append(String.format(Locale.ROOT, "%-9s %9.3f %9.3f %9.3f %9.3f%n", key.startsWith("pgd") ? "PGD-L∞" : "FGSM-L2",
            v[0], v[1], c[0], c[1]));
        first = false;
      }
    }
    System.out.println("[paired-noise] " + SEQUENCES + "×" + (VERSIONS - 1) + " versions of a stable model (256 samples),"
        + " rate of non-PASS verdicts: paired with α=0.01 per verdict (Holm; the default) and per check, and the old"
        + " unpaired rule; sd: version-to-version spread of FGSM accuracy (points). A 10-point drop of PGD-L∞ (0.67) or"
        + " FGSM-L2 (0.27) after 5 stable versions, lasting 3 versions, " + REGRESSIONS + " trials: rate of FAIL at the"
        + " first regressed version and of a non-PASS within the 3 (v: per verdict, c: per check)\n" + out);
    for (Map.Entry<Double, Rates> e : rates.entrySet()) {
      Rates x = e.getValue();
      // noise alone: at most α of the verdicts (sampling error of the rate on 7600 versions: ±0.25 %)
      assertTrue(x.perVerdict() <= 0.01 + 0.0025, "paired false alarms at τ=" + e.getKey() + "\n" + out);
      assertTrue(x.unpaired() >= 0.4, "the old rule flags many at τ=" + e.getKey() + "\n" + out);
    }
    // at the demo's noise a 10-point drop FAILs at once
    assertTrue(caught.get(0.12 + " pgd/linf/0.03")[0] >= 0.95 && caught.get(0.12 + " fgsm/l2/2.0")[0] >= 0.95, out.toString());
  }
}
