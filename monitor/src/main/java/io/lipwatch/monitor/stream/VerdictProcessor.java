package io.lipwatch.monitor.stream;

import io.lipwatch.estimator.estimate.BaselinePin;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.monitor.metrics.MetricLabels;
import io.lipwatch.monitor.metrics.RobustnessMetrics;
import io.lipwatch.monitor.verdict.VerdictPolicy;
import io.lipwatch.monitor.verdict.VersionSummary;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * For each estimate: the verdict against the baseline (pinned version if it is an estimated version in the history,
 * else the last PASS; never a rejected version), the history update, the metrics, and the verdict record for
 * lipwatch.verdicts.
 */
final class VerdictProcessor implements Processor<String, Estimate, String, Verdict> {
  private static final Logger LOG = LoggerFactory.getLogger(VerdictProcessor.class);
  private final VerdictPolicy policy;
  private final RobustnessMetrics metrics;
  private ProcessorContext<String, Verdict> context;
  private KeyValueStore<String, ModelState> history;
  private KeyValueStore<String, BaselinePin> pins;

  VerdictProcessor(VerdictPolicy policy, RobustnessMetrics metrics) {
    this.policy = policy;
    this.metrics = metrics;
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
    VersionSummary baseline = null;
    String kind = null;
    BaselinePin pin = pins.get(model);
    if (pin != null && pin.version() != e.version() && state.findEstimated(pin.version()) != null) {
      baseline = state.findEstimated(pin.version());
      kind = "pinned";
    } else if (state.lastPassVersion() != null && state.lastPassVersion() != e.version()) {
      baseline = state.findEstimated(state.lastPassVersion());
      kind = "last-pass";
    }
    Verdict v = policy.decide(model, current, baseline, kind);
    Long lastPass = state.lastPassVersion();
    if (Verdict.PASS.equals(v.verdict()) && (lastPass == null || e.version() >= lastPass)) {
      lastPass = e.version();
    }
    history.put(model, state.with(current.withVerdict(v), lastPass));
    metrics.record(e);
    metrics.verdict(model, v);
    context.forward(new Record<>(model, v, rec.timestamp()));
    if (!Verdict.PASS.equals(v.verdict())) {
      LOG.warn("{} v{}: {} against {} baseline v{}: {}", model, e.version(), v.verdict(), kind, v.baselineVersion(),
          v.checks().stream().filter(c -> !Verdict.PASS.equals(c.status())).map(c -> c.name() + " " + c.message()).toList());
    }
  }
}
