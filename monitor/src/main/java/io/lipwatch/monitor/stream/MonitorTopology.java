package io.lipwatch.monitor.stream;

import io.lipwatch.estimator.stream.BaselinePinSerde;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.monitor.metrics.RobustnessMetrics;
import io.lipwatch.monitor.verdict.VerdictPolicy;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;

/**
 * The monitor topology: estimates → verdict (history and pinned baselines in state stores) → lipwatch.verdicts and
 * metrics; pins from lipwatch.baselines; DLQ records → rejected-snapshot counts.
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
    t.addProcessor("rejected", () -> new Processor<String, Object, Void, Void>() {
      @Override
      public void process(Record<String, Object> rec) {
        metrics.rejected(rec.key());
      }
    }, "dlq-source");
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(HISTORY_STORE), Serdes.String(),
        new ModelStateSerde()), "verdict");
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PINS_STORE), Serdes.String(),
        new BaselinePinSerde()), "verdict", "pin");
    t.addSink("verdicts-sink", Topics.VERDICTS.name(), Topics.VERDICTS.keySerde().serializer(),
        Topics.VERDICTS.valueSerde().serializer(), "verdict");
    return t;
  }
}
