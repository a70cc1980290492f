package io.lipwatch.monitor.stream;

import io.lipwatch.estimator.estimate.BaselinePin;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.monitor.metrics.MetricLabels;
import io.lipwatch.monitor.metrics.RobustnessMetrics;
import io.lipwatch.monitor.verdict.BaselineSelector;
import io.lipwatch.monitor.verdict.OutcomeRetention;
import io.lipwatch.monitor.verdict.Baselines;
import io.lipwatch.monitor.verdict.ReferenceRatios;
import io.lipwatch.monitor.verdict.VerdictPolicy;
import io.lipwatch.monitor.verdict.VersionSummary;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * For each estimate: the verdict against its baselines (step: the pinned version if it is an estimated version in the
 * history, else the last PASS; reference: the pinned version, else the best PASS of the window; never a rejected
 * version), the history update, the metrics (with {@code lipwatch_reference_ratio}), and the verdict record for
 * lipwatch.verdicts.
 */
final class VerdictProcessor implements Processor<String, Estimate, String, Verdict> {
  private static final Logger LOG = LoggerFactory.getLogger(VerdictProcessor.class);
  private final VerdictPolicy policy;
  private final RobustnessMetrics metrics;
  private final BaselineSelector selector;
  private final OutcomeRetention retention;
  private ProcessorContext<String, Verdict> context;
  private KeyValueStore<String, ModelState> history;
  private KeyValueStore<String, BaselinePin> pins;

  VerdictProcessor(VerdictPolicy policy, RobustnessMetrics metrics) {
    this.policy = policy;
    this.metrics = metrics;
    this.selector = new BaselineSelector(policy.policy());
    this.retention = new OutcomeRetention(policy.policy());
  }

  @Override
  public void init(ProcessorContext<String, Verdict> ctx) {
    context = ctx;
    history = ctx.getStateStore(MonitorTopology.HISTORY_STORE);
    pins = ctx.getStateStore(MonitorTopology.PINS_STORE);
  }

  @Override
  public void process(Record<String, Estimate> rec) {
    Estimate e = rec.value();
    if (e == null) {
      return;
    }
    if (!MetricLabels.validModelName(e.model())) {
      // the estimator only publishes validated names; anything else on the topic must not become a label or a key
      LOG.warn("estimate with an invalid model name ignored (key {})", MetricLabels.model(rec.key()));
      return;
    }
    String model = e.model();
    ModelState state = history.get(model);
    if (state == null) {
      state = new ModelState(null, null);
    }
    VersionSummary current = VersionSummary.of(e);
    BaselinePin pin = pins.get(model);
    Baselines b = selector.select(state.versions(), current, pin == null ? null : pin.version(), state.lastPassVersion());
    // an estimate whose bounds contradict each other is not a normal estimate: FAIL, and none of its figures exported
    boolean inconsistent = e.hasInconsistentBounds();
    Verdict v = inconsistent ? policy.inconsistent(model, e.version()) : policy.decide(model, current, b);
    Long lastPass = state.lastPassVersion();
    if (Verdict.PASS.equals(v.verdict()) && (lastPass == null || e.version() >= lastPass)) {
      lastPass = e.version();
    }
    // per-sample outcomes stay only on versions a later one can be compared with (bounded store records)
    ModelState next = state.with(current.withVerdict(v), lastPass);
    history.put(model, new ModelState(retention.apply(next.versions(), lastPass, pin == null ? null : pin.version()), lastPass));
    if (!inconsistent) {
      metrics.record(e);
      metrics.reference(model, ReferenceRatios.of(current, b.reference()));
    }
    metrics.verdict(model, v);
    context.forward(new Record<>(model, v, rec.timestamp()));
    if (!Verdict.PASS.equals(v.verdict())) {
      LOG.warn("{} v{}: {} against {} baseline v{} and {} reference v{}: {}", model, e.version(), v.verdict(), b.stepKind(),
          v.baselineVersion(), b.referenceKind(), v.referenceVersion(),
          v.checks().stream().filter(c -> !Verdict.PASS.equals(c.status())).map(c -> c.name() + " " + c.message()).toList());
    }
  }
}
