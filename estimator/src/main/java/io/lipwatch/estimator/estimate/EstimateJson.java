package io.lipwatch.estimator.estimate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;

/** The one JSON mapping of estimates, shared by the serde, the CLI and the monitor. */
public final class EstimateJson {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final ObjectMapper PRETTY = MAPPER.copy().enable(SerializationFeature.INDENT_OUTPUT);

  private EstimateJson() {}

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  public static byte[] toBytes(Estimate e) {
    try {
      return MAPPER.writeValueAsBytes(e);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("estimate not serializable", ex);
    }
  }

  public static String toPrettyString(Estimate e) {
    try {
      return PRETTY.writeValueAsString(e);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("estimate not serializable", ex);
    }
  }

  public static Estimate fromBytes(byte[] bytes) throws IOException {
    return MAPPER.readValue(bytes, Estimate.class);
  }
}
