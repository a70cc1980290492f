package io.lipwatch.monitor.verdict;

import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.estimator.estimate.Verdict.Check;
import java.util.Locale;

/**
 * One accuracy check (clean, robust per attack, certified per radius) of a version against a baseline: the drop held
 * against the warn and fail thresholds and, when both versions' per-sample outcomes on the same samples are known,
 * McNemar's exact p-value of it. The status here is the thresholds' alone; {@link Significance} then passes the paired
 * checks whose drop is within sampling noise. Without paired outcomes the thresholds alone decide, as they always did,
 * and the check says why it is unpaired.
 */
final class AccuracyDrop {
  private AccuracyDrop() {}

  /** @param pairing the two versions' outcomes of this check, or why there are none */
  static Check check(String name, double value, double base, Double warn, Double fail, String where,
      PairedOutcomes.Pairing pairing) {
    // rounded to 1e-9 so that a drop of exactly a threshold (0.30 − 0.25) meets it despite binary fractions
    double d = Math.rint((base - value) * 1e9) / 1e9;
    Verdict.Status byThreshold = fail != null && d >= fail ? Verdict.FAIL : warn != null && d >= warn ? Verdict.WARN : Verdict.PASS;
    String figures = String.format(Locale.ROOT, "%.4f vs %.4f in %s (%+.2f points)", value, base, where, -100 * d);
    if (!pairing.paired()) {
      return new Check(name, byThreshold, value, base, warn, fail, figures + "; unpaired: " + pairing.why())
          .tested(McNemar.UNPAIRED, null, null, null);
    }
    int lost = 0;
    int gained = 0;
    boolean[] before = pairing.base();
    boolean[] now = pairing.current();
    for (int i = 0; i < before.length; i++) {
      lost += before[i] && !now[i] ? 1 : 0;
      gained += !before[i] && now[i] ? 1 : 0;
    }
    double p = McNemar.pValue(lost, gained);
    String test = String.format(Locale.ROOT, "; paired on %d samples: %d lost, %d gained, McNemar p=%.3g", before.length,
        lost, gained, p);
    return new Check(name, byThreshold, value, base, warn, fail, figures + test).tested(McNemar.EXACT, p, lost, gained);
  }
}
