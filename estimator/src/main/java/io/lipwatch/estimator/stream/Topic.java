package io.lipwatch.estimator.stream;

import java.util.Map;
import org.apache.kafka.common.serialization.Serde;

/** A topic with its key and value serdes and the configs it is created with. */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde, Map<String, String> configs) {}
