package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.probes.Attacks.Outcome;
import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import java.util.ArrayList;
import java.util.List;

/** Collects non-finite and all-zero input gradients across attacks into at most two warnings. */
final class GradientHealth {
  private int nonFinite;
  private String nonFiniteWhere;
  private int zero;
  private String zeroWhere;

  void add(Outcome o, AttackSpec spec) {
    if (o.nonFiniteRows > nonFinite) {
      nonFinite = o.nonFiniteRows;
      nonFiniteWhere = spec.toString();
    }
    if (o.zeroRowsFirstStep > zero) {
      zero = o.zeroRowsFirstStep;
      zeroWhere = spec.toString();
    }
  }

  List<String> warnings() {
    List<String> w = new ArrayList<>();
    if (nonFinite > 0) {
      w.add("input gradient is NaN or infinite for up to " + nonFinite + " samples per batch (" + nonFiniteWhere
          + "): those steps were skipped; attack figures may overstate robustness");
    }
    if (zero > 0) {
      w.add("input gradient is exactly zero for up to " + zero + " samples per batch (" + zeroWhere
          + "): gradient masking or a saturated softmax; attack figures overstate robustness for them");
    }
    return w;
  }
}
