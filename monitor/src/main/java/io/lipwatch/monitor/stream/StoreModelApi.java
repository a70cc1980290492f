package io.lipwatch.monitor.stream;

import io.lipwatch.estimator.estimate.BaselinePin;
import io.lipwatch.monitor.http.ModelApi;
import io.lipwatch.monitor.verdict.VersionSummary;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/** The JSON API over the monitor's queryable state stores. */
final class StoreModelApi implements ModelApi {
  private final Supplier<ReadOnlyKeyValueStore<String, ModelState>> history;
  private final Supplier<ReadOnlyKeyValueStore<String, BaselinePin>> pins;

  StoreModelApi(Supplier<ReadOnlyKeyValueStore<String, ModelState>> history, Supplier<ReadOnlyKeyValueStore<String, BaselinePin>> pins) {
    this.history = history;
    this.pins = pins;
  }

  @Override
  public List<Map<String, Object>> models() {
    List<Map<String, Object>> out = new ArrayList<>();
    ReadOnlyKeyValueStore<String, BaselinePin> p = pins.get();
    try (var it = history.get().all()) {
      it.forEachRemaining(kv -> {
        VersionSummary v = kv.value.latest();
        if (v == null) {
          return;
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("model", kv.key);
        row.put("version", v.version());
        row.put("verdict", v.verdict());
        row.put("rejected", v.rejected());
        row.put("baselineVersion", v.baselineVersion());
        row.put("baselineKind", v.baselineKind());
        row.put("referenceVersion", v.referenceVersion());
        row.put("referenceKind", v.referenceKind());
        row.put("lastPassVersion", kv.value.lastPassVersion());
        BaselinePin pin = p.get(kv.key);
        row.put("pinnedVersion", pin == null ? null : pin.version());
        row.put("bestUpper", v.bestUpper());
        row.put("bestLower", v.bestLower());
        row.put("cleanAccuracy", v.cleanAccuracy());
        row.put("robustAccuracy", v.robustAccuracy());
        row.put("certifiedAccuracy", v.certifiedAccuracy());
        row.put("estimatedAt", v.estimatedAt());
        row.put("versions", kv.value.versions().size());
        out.add(row);
      });
    }
    return out;
  }

  @Override
  public Optional<Object> versions(String model) {
    ModelState s = history.get().get(model);
    if (s == null) {
      return Optional.empty();
    }
    BaselinePin pin = pins.get().get(model);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("model", model);
    out.put("lastPassVersion", s.lastPassVersion());
    out.put("pinnedVersion", pin == null ? null : pin.version());
    out.put("versions", s.versions());
    return Optional.of(out);
  }
}
