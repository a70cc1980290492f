package io.lipwatch.estimator.probes;

import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.probes.Attacks.Batch;
import io.lipwatch.estimator.probes.Attacks.Deadline;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One probe run as the phases see it: the inputs (classifier, samples, settings, the sound bound), and the figures each
 * phase adds. Phases run in order, so a later phase reads what an earlier one measured (e.g. {@link #correct}).
 */
final class ProbeRun {
  final Classifier classifier;
  final ProbeSet samples;
  final ProbeConfig config;
  /** Smallest sound L2 Lipschitz upper bound of the logit map, or null (set late when the engine runs beside the probes). */
  Double soundUpperBound;
  /** The engine's network (pairwise and local certificates run on it), or null: global certificates only. */
  io.lipwatch.estimator.network.ExtractedNetwork network;
  final List<Batch> batches;
  final Deadline deadline;
  final Attacks.Observer observer;
  final List<String> warnings;
  final GradientHealth health = new GradientHealth();

  boolean[] correct;
  double[] margins;
  double clean;
  final List<Probes.NoiseAccuracy> noise = new ArrayList<>();
  final List<Probes.CertifiedAccuracy> certified = new ArrayList<>();
  final List<ProbeResult.CertifiedDetail> certifiedDetail = new ArrayList<>();
  final List<Probes.AttackResult> attacks = new ArrayList<>();
  final List<ProbeResult.AttackDetail> attackDetail = new ArrayList<>();
  Probes.MinPerturbation minPerturbation;
  double[] minPerturbationPerSample;
  /** Seconds per phase name in the order first run (a phase run again adds up), and {@link Probes#BOUND_WAIT}. */
  final Map<String, Double> timings = new LinkedHashMap<>();

  ProbeRun(Classifier classifier, ProbeSet samples, ProbeConfig config, Double soundUpperBound, Deadline deadline,
      Attacks.Observer observer, List<String> warnings) {
    this.classifier = classifier;
    this.samples = samples;
    this.config = config;
    this.soundUpperBound = soundUpperBound;
    this.batches = ProbeRunner.batches(samples, config.batchSize());
    this.deadline = deadline;
    this.observer = observer;
    this.warnings = warnings;
  }

  /** Runs the phase and adds its wall time to {@link #timings}. */
  void runTimed(ProbePhase phase) {
    long t0 = System.nanoTime();
    try {
      phase.run(this);
    } finally {
      addTime(phase.name(), t0);
    }
  }

  void addTime(String key, long startNanos) {
    timings.merge(key, (System.nanoTime() - startNanos) / 1e9, Double::sum);
  }

  /** The timings rounded to the millisecond, as the estimate carries them. */
  Map<String, Double> roundedTimings() {
    Map<String, Double> out = new LinkedHashMap<>();
    timings.forEach((k, v) -> out.put(k, ProbeRunner.round(v)));
    return out;
  }

  int n() {
    return samples.count();
  }

  double lo() {
    return samples.lo();
  }

  double hi() {
    return samples.hi();
  }

  /** Whether attacks can run: the classifier supplies input gradients. */
  boolean gradients() {
    return classifier.hasGradients();
  }

  static double fraction(boolean[] b) {
    int k = 0;
    for (boolean x : b) {
      k += x ? 1 : 0;
    }
    return (double) k / b.length;
  }
}
