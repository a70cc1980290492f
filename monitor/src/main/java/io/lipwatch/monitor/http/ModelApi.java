package io.lipwatch.monitor.http;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the JSON API serves: a row per model, and one model's version history. */
public interface ModelApi {
  /** The API of a service that keeps no model history (estimator, trainer). */
  ModelApi NONE = new ModelApi() {
    @Override
    public List<Map<String, Object>> models() {
      return List.of();
    }

    @Override
    public Optional<Object> versions(String model) {
      return Optional.empty();
    }
  };

  List<Map<String, Object>> models();

  /** Empty when the model is unknown. */
  Optional<Object> versions(String model);
}
