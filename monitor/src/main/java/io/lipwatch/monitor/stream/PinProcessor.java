package io.lipwatch.monitor.stream;

import io.lipwatch.estimator.estimate.BaselinePin;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/** Keeps pinned baselines from lipwatch.baselines; a tombstone unpins. */
final class PinProcessor implements Processor<String, BaselinePin, Void, Void> {
  private KeyValueStore<String, BaselinePin> pins;

  @Override
  public void init(ProcessorContext<Void, Void> ctx) {
    pins = ctx.getStateStore(MonitorTopology.PINS_STORE);
  }

  @Override
  public void process(Record<String, BaselinePin> rec) {
    if (rec.key() == null) {
      return;
    }
    if (rec.value() == null) {
      pins.delete(rec.key());
    } else {
      pins.put(rec.key(), rec.value());
    }
  }
}
