package io.lipwatch.monitor.metrics;

import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.metrics.MeterNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-model robustness gauges fed by estimates, and the monitor's counts of snapshots. Label sets are bounded: model (a
 * validated name, see {@link MetricLabels}), method (the engine's method names), attack/norm/eps (the configured probe
 * settings); never a version, hash, id or raw record key.
 */
public final class RobustnessMetrics implements MeterBinder {
  private MeterRegistry registry;
  private final Map<String, GaugeCell> cells = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> cellsByModel = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> referenceByModel = new ConcurrentHashMap<>();

  @Override
  public void bindTo(MeterRegistry r) {
    this.registry = r;
  }

  /**
   * Updates every gauge of the estimate's model. A series the estimate no longer has (or whose value is not finite) is
   * removed, never set to NaN: /metrics carries finite numbers only.
   */
  public synchronized void record(Estimate e) {
    if (registry == null) {
      return;
    }
    String model = e.model();
    Set<String> touched = new HashSet<>();
    set(touched, MeterNames.SNAPSHOT_VERSION, "Version of the last estimated snapshot", Tags.of(MeterNames.TAG_MODEL, model), e.version());
    set(touched, MeterNames.LAST_ESTIMATE_TIMESTAMP, "Unix time of the last estimate (seconds)",
        Tags.of(MeterNames.TAG_MODEL, model), System.currentTimeMillis() / 1000.0);
    var lip = e.lipschitz();
    if (lip != null) {
      if (lip.bestUpper() != null) {
        set(touched, MeterNames.BEST_UPPER_BOUND, "Smallest sound upper bound of the L2 Lipschitz constant of the logits",
            Tags.of(MeterNames.TAG_MODEL, model), lip.bestUpper());
      }
      if (lip.bestLower() != null) {
        set(touched, MeterNames.BEST_LOWER_BOUND, "Largest lower bound of the L2 Lipschitz constant of the logits",
            Tags.of(MeterNames.TAG_MODEL, model), lip.bestLower());
      }
      for (UpperBound u : lip.upper()) {
        if (Boolean.FALSE.equals(u.converged())) {
          continue; // stopped by its budget before converging: not a number to plot beside bounds
        }
        set(touched, MeterNames.UPPER_BOUND, "Upper bound or estimate of the Lipschitz constant, by method (sound or not: see the estimate)",
            Tags.of(MeterNames.TAG_MODEL, model, MeterNames.TAG_METHOD, u.method(), "sound", Boolean.toString(u.sound())), u.value());
      }
      for (LowerBound l : lip.lower()) {
        set(touched, MeterNames.LOWER_BOUND, "Lower bound of the Lipschitz constant, by method",
            Tags.of(MeterNames.TAG_MODEL, model, MeterNames.TAG_METHOD, l.method()), l.value());
      }
    }
    Probes p = e.probes();
    if (p != null) {
      set(touched, MeterNames.CLEAN_ACCURACY, "Accuracy on the probe set", Tags.of(MeterNames.TAG_MODEL, model), p.cleanAccuracy());
      if (p.attacks() != null) {
        for (Probes.AttackResult a : p.attacks()) {
          set(touched, MeterNames.ROBUST_ACCURACY, "Accuracy under attack on the probe set",
              Tags.of(MeterNames.TAG_MODEL, model, "attack", a.attack(), "norm", a.norm(), "eps", eps(a.eps())), a.robustAccuracy());
        }
      }
      if (p.certified() != null) {
        for (Probes.CertifiedAccuracy c : p.certified()) {
          // method: global (√2·L·ε with the best sound bound), pairwise or local (per class pair / per ball)
          set(touched, MeterNames.CERTIFIED_ACCURACY, "Accuracy certified at radius eps, by certificate method (global: the best sound Lipschitz bound)",
              Tags.of(MeterNames.TAG_MODEL, model, "norm", c.norm(), "eps", eps(c.eps()), MeterNames.TAG_METHOD,
                  c.methodOrGlobal()), c.accuracy());
        }
      }
    }
    Set<String> before = cellsByModel.computeIfAbsent(model, m -> new HashSet<>());
    removeStale(before, touched);
    snapshots(model, "estimated").increment();
  }

  /** The verdict gauge: 0 pass, 1 warn, 2 fail. */
  public synchronized void verdict(String model, io.lipwatch.estimator.estimate.Verdict v) {
    if (registry == null) {
      return;
    }
    Set<String> touched = new HashSet<>();
    set(touched, MeterNames.VERDICT, "Verdict of the last estimated version against its baseline: 0 pass, 1 warn, 2 fail",
        Tags.of(MeterNames.TAG_MODEL, model), io.lipwatch.estimator.estimate.Verdict.level(v.verdict()));
    cellsByModel.computeIfAbsent(model, m -> new HashSet<>()).addAll(touched);
  }

  /**
   * {@code lipwatch_reference_ratio{model,metric}}: the latest version's figures over its reference version's (see
   * {@code ReferenceRatios}); absent without a reference (or when a ratio is not finite). {@code metric} is one of a
   * fixed set.
   */
  public synchronized void reference(String model, Map<String, Double> ratios) {
    if (registry == null) {
      return;
    }
    Set<String> touched = new HashSet<>();
    ratios.forEach((metric, value) -> set(touched, MeterNames.REFERENCE_RATIO,
        "Figure of the last estimated version over its reference version's (slow drift): best_upper above 1 and accuracies below 1 are worse",
        Tags.of(MeterNames.TAG_MODEL, model, "metric", metric), value));
    removeStale(referenceByModel.computeIfAbsent(model, m -> new HashSet<>()), touched);
  }

  /** Removes the series of {@code before} that were not {@code touched} now, and remembers the touched ones. */
  private void removeStale(Set<String> before, Set<String> touched) {
    for (String key : Set.copyOf(before)) {
      if (!touched.contains(key)) {
        GaugeCell cell = cells.remove(key);
        if (cell != null && cell.gauge != null) {
          registry.remove(cell.gauge);
        }
        before.remove(key);
      }
    }
    before.addAll(touched);
  }

  /**
   * Counts a snapshot that went to the DLQ under {@code lipwatch_snapshots_total{outcome="rejected"}}, with the model
   * label bounded here whatever the caller passes (a valid name or {@code _invalid}). The count by model and reason,
   * {@code lipwatch_snapshots_rejected_total}, is the estimator's: counting it here too would count every rejection
   * twice (in one registry, as in the demo, it is the same counter).
   */
  public void rejected(String model) {
    if (registry != null) {
      snapshots(MetricLabels.model(model), "rejected").increment();
    }
  }

  private Counter snapshots(String model, String outcome) {
    return Counter.builder(MeterNames.SNAPSHOTS).description("Snapshots seen by the monitor, by outcome")
        .tags(MeterNames.TAG_MODEL, model, MeterNames.TAG_OUTCOME, outcome).register(registry);
  }

  static String eps(double eps) {
    return eps == Math.rint(eps) ? String.format("%.1f", eps) : Double.toString(eps);
  }

  /** Sets a gauge, registering it on first use; a non-finite value leaves it untouched (so it is removed as stale). */
  private void set(Set<String> touched, String name, String help, Tags tags, double value) {
    if (!Double.isFinite(value)) {
      return;
    }
    String key = name + tags;
    GaugeCell cell = cells.computeIfAbsent(key, k -> {
      GaugeCell c = new GaugeCell();
      c.gauge = Gauge.builder(name, c, GaugeCell::get).description(help).tags(tags).strongReference(true).register(registry);
      return c;
    });
    cell.set(value);
    touched.add(key);
  }
}
