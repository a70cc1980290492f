package io.lipwatch.monitor.stream;

import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.monitor.metrics.RobustnessMetrics;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;

/** The monitor topology: estimates → metrics and history; DLQ records → rejected-snapshot counts. */
public final class MonitorTopology {
  private MonitorTopology() {}

  public static Topology build(RobustnessMetrics metrics, ModelHistory history) {
    StreamsBuilder b = new StreamsBuilder();
    b.stream(Topics.ESTIMATES.name(), Consumed.with(Topics.ESTIMATES.keySerde(), Topics.ESTIMATES.valueSerde()))
        .filter((k, v) -> v != null && v.model() != null)
        .foreach((k, v) -> {
          history.add(v);
          metrics.record(v);
        });
    b.stream(Topics.SNAPSHOTS_DLQ.name(), Consumed.with(Topics.SNAPSHOTS_DLQ.keySerde(), Topics.SNAPSHOTS_DLQ.valueSerde()))
        .foreach((k, v) -> metrics.rejected(k));
    return b.build();
  }
}
