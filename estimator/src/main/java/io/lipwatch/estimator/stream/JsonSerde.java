package io.lipwatch.estimator.stream;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Base of the small named JSON serdes; a null value (tombstone) stays null. */
public abstract class JsonSerde<T> implements Serde<T> {
  static final ObjectMapper MAPPER = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private final Class<T> type;

  protected JsonSerde(Class<T> type) {
    this.type = type;
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, value) -> {
      if (value == null) {
        return null;
      }
      try {
        return MAPPER.writeValueAsBytes(value);
      } catch (IOException e) {
        throw new SerializationException("cannot write " + type.getSimpleName() + " for " + topic, e);
      }
    };
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      try {
        return MAPPER.readValue(bytes, type);
      } catch (IOException e) {
        throw new SerializationException("cannot read " + type.getSimpleName() + " from " + topic + ": " + e.getMessage(), e);
      }
    };
  }
}
