package io.lipwatch.estimator.stream;

import io.lipwatch.estimator.bounds.LipschitzEngine;
import io.lipwatch.estimator.pipeline.EstimatePipeline;
import io.lipwatch.estimator.metrics.EstimatorMetrics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/** The estimator topology: lipwatch.snapshots → estimate → lipwatch.estimates | lipwatch.snapshots.dlq. */
public final class EstimatorTopology {
  public static final String SOURCE = "snapshots-source";
  public static final String PROCESSOR = "estimate";
  public static final String ESTIMATES_SINK = "estimates-sink";
  public static final String DLQ_SINK = "dlq-sink";
  public static final String WARM_START_STORE = "warm-start";
  public static final String PROBESET_STORE = "probesets";
  public static final String PROBESET_SOURCE = "probesets-source";
  public static final String PROBESET_LOADER = "probesets-loader";

  private EstimatorTopology() {}

  public static Topology build(EstimatorSettings settings, EstimatorMetrics metrics) {
    return build(pipeline(settings), metrics);
  }

  /** The pipeline the stream runs for these settings. */
  public static EstimatePipeline pipeline(EstimatorSettings settings) {
    return new EstimatePipeline(settings.limits(), settings.signature(), settings.store(),
        new LipschitzEngine(settings.engine()), settings.probes());
  }

  /** The topology around a given pipeline (tests pass one with extra bound methods). */
  public static Topology build(EstimatePipeline estimator, EstimatorMetrics metrics) {
    Topology t = new Topology();
    t.addSource(SOURCE, Topics.SNAPSHOTS.keySerde().deserializer(), Topics.SNAPSHOTS.valueSerde().deserializer(),
        Topics.SNAPSHOTS.name());
    t.addProcessor(PROCESSOR, () -> new EstimateProcessor(estimator, metrics), SOURCE);
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(WARM_START_STORE), Serdes.String(),
        new WarmStartSerde()), PROCESSOR);
    // every instance needs every probe set: a global store, fed from the compacted topic
    t.addGlobalStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PROBESET_STORE), Serdes.String(),
            Serdes.ByteArray()).withLoggingDisabled(), PROBESET_SOURCE, Topics.PROBESETS.keySerde().deserializer(),
        Topics.PROBESETS.valueSerde().deserializer(), Topics.PROBESETS.name(), PROBESET_LOADER, ProbeSetLoader::new);
    t.addSink(ESTIMATES_SINK, Topics.ESTIMATES.name(), Topics.ESTIMATES.keySerde().serializer(),
        Topics.ESTIMATES.valueSerde().serializer(), PROCESSOR);
    t.addSink(DLQ_SINK, Topics.SNAPSHOTS_DLQ.name(), Topics.SNAPSHOTS_DLQ.keySerde().serializer(),
        Topics.SNAPSHOTS_DLQ.valueSerde().serializer(), PROCESSOR);
    return t;
  }
}
