package io.lipwatch.monitor.stream;

import io.lipwatch.estimator.stream.BaselinePinSerde;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.monitor.metrics.RobustnessMetrics;
import io.lipwatch.monitor.verdict.VerdictPolicy;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The monitor topology: estimates → verdict (history and pinned baselines in state stores) → lipwatch.verdicts and
 * metrics; pins from lipwatch.baselines; DLQ records → rejected-snapshot counts and, for a known model's rejected
 * version, a FAIL verdict in the same history and on the same topic.
 */
public final class MonitorTopology {
  public static final String HISTORY_STORE = "model-history";
  public static final String PINS_STORE = "baseline-pins";

  private MonitorTopology() {}

  public static Topology build(VerdictPolicy policy, RobustnessMetrics metrics) {
    Topology t = new Topology();
    t.addSource("estimates-source", Topics.ESTIMATES.keySerde().deserializer(), Topics.ESTIMATES.valueSerde().deserializer(),
        Topics.ESTIMATES.name());
    t.addSource("baselines-source", Topics.BASELINES.keySerde().deserializer(), Topics.BASELINES.valueSerde().deserializer(),
        Topics.BASELINES.name());
    t.addSource("dlq-source", Topics.SNAPSHOTS_DLQ.keySerde().deserializer(), Topics.SNAPSHOTS_DLQ.valueSerde().deserializer(),
        Topics.SNAPSHOTS_DLQ.name());
    t.addProcessor("verdict", () -> new VerdictProcessor(policy, metrics), "estimates-source");
    t.addProcessor("pin", PinProcessor::new, "baselines-source");
    t.addProcessor("rejected", () -> new RejectedProcessor(policy, metrics), "dlq-source");
    // one store for estimates and rejections: lipwatch.estimates and lipwatch.snapshots.dlq are co-partitioned (same
    // key, the model; same partition count)
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(HISTORY_STORE), Serdes.String(),
        new ModelStateSerde()), "verdict", "rejected");
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PINS_STORE), Serdes.String(),
        new BaselinePinSerde()), "verdict", "pin");
    t.addSink("verdicts-sink", Topics.VERDICTS.name(), Topics.VERDICTS.keySerde().serializer(),
        Topics.VERDICTS.valueSerde().serializer(), "verdict", "rejected");
    return t;
  }
}
