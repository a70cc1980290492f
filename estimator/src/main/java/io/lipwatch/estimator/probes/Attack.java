package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.probes.Attacks.Batch;
import io.lipwatch.estimator.probes.Attacks.Deadline;
import io.lipwatch.estimator.probes.Attacks.Outcome;
import io.lipwatch.estimator.probes.ProbeConfig.AttackSpec;
import java.util.List;

/**
 * One attack algorithm: given a batch, a loss and a seed, marks the samples it fooled. {@link AttackPhase} runs it for
 * every batch, loss and restart and counts a sample as broken when any of them fooled it. A new attack is one class
 * implementing this plus one line in {@link AttackAlgorithms}.
 */
interface Attack {
  /** Whether this algorithm runs the given configured attack. */
  boolean handles(AttackSpec spec);

  /** The losses to ascend; the phase keeps those the classifier's gradient path supports. */
  default List<LogitLoss> losses(AttackSpec spec) {
    return spec.losses();
  }

  /** Independent random restarts per loss. */
  default int restarts(AttackSpec spec) {
    return spec.restarts();
  }

  /** @param lo, hi the input box; {@code deadline} lets a long attack stop early (the outcome says aborted). */
  Outcome attack(Classifier c, Batch b, AttackSpec spec, LogitLoss loss, long seed, double lo, double hi,
      Deadline deadline, Attacks.Observer obs);
}
