package io.lipwatch.estimator.stream;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/** Keeps the global probe-set store in step with lipwatch.probesets (a tombstone removes a probe set). */
final class ProbeSetLoader implements Processor<String, byte[], Void, Void> {
  private KeyValueStore<String, byte[]> store;

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(EstimatorTopology.PROBESET_STORE);
  }

  @Override
  public void process(Record<String, byte[]> rec) {
    if (rec.key() == null) {
      return;
    }
    if (rec.value() == null) {
      store.delete(rec.key());
    } else {
      store.put(rec.key(), rec.value());
    }
  }
}
