package io.lipwatch.estimator.probes;

/**
 * One step of a probe run (clean accuracy, noise, certificates, attacks, minimal perturbation). A phase reads the
 * {@link ProbeRun}'s inputs and earlier figures and adds its own; it checks the run's deadline itself and says what it
 * skipped in the run's warnings. A new probe is one class implementing this plus one line in {@link ProbePhases}.
 */
interface ProbePhase {
  /** Short name for logs and warnings. */
  String name();

  void run(ProbeRun run);
}
