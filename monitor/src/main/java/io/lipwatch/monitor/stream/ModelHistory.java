package io.lipwatch.monitor.stream;

import io.lipwatch.estimator.estimate.Estimate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The recent estimates of every model, newest last, for the HTTP API (bounded per model). */
public final class ModelHistory {
  private final int perModel;
  private final Map<String, Deque<Estimate>> byModel = new TreeMap<>();

  public ModelHistory(int perModel) {
    this.perModel = perModel;
  }

  public synchronized void add(Estimate e) {
    Deque<Estimate> d = byModel.computeIfAbsent(e.model(), m -> new ArrayDeque<>());
    d.addLast(e);
    while (d.size() > perModel) {
      d.removeFirst();
    }
  }

  public synchronized List<String> models() {
    return new ArrayList<>(byModel.keySet());
  }

  public synchronized Estimate latest(String model) {
    Deque<Estimate> d = byModel.get(model);
    return d == null ? null : d.peekLast();
  }

  public synchronized List<Estimate> versions(String model) {
    Deque<Estimate> d = byModel.get(model);
    return d == null ? null : new ArrayList<>(d);
  }
}
