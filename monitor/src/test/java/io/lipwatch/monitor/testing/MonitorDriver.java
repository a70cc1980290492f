package io.lipwatch.monitor.testing;

import io.lipwatch.estimator.estimate.BaselinePin;
import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.Verdict;
import io.lipwatch.estimator.stream.DlqRecord;
import io.lipwatch.estimator.stream.Topics;
import io.lipwatch.estimator.testing.StreamsDriver;
import io.lipwatch.monitor.metrics.RobustnessMetrics;
import io.lipwatch.monitor.stream.MonitorService;
import io.lipwatch.monitor.stream.MonitorTopology;
import io.lipwatch.monitor.verdict.Policy;
import io.lipwatch.monitor.verdict.VerdictPolicy;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The monitor topology under the test driver with a policy, its metrics on the service's own registry (so a scrape
 * reads as /metrics does), the topics it reads and the verdicts it writes.
 */
public final class MonitorDriver implements AutoCloseable {
  private final StreamsDriver streams;
  public final PrometheusMeterRegistry registry = MonitorService.newRegistry();
  public final TopologyTestDriver driver;
  public final TestInputTopic<String, Estimate> estimates;
  public final TestInputTopic<String, BaselinePin> pins;
  public final TestInputTopic<String, DlqRecord> dlq;
  public final TestOutputTopic<String, Verdict> verdicts;

  public MonitorDriver(Policy policy, String applicationId, Path stateDir) {
    RobustnessMetrics metrics = new RobustnessMetrics();
    metrics.bindTo(registry);
    streams = new StreamsDriver(MonitorTopology.build(new VerdictPolicy(policy), metrics), applicationId, stateDir);
    driver = streams.driver;
    estimates = streams.input(Topics.ESTIMATES);
    pins = streams.input(Topics.BASELINES);
    dlq = streams.input(Topics.SNAPSHOTS_DLQ);
    verdicts = streams.output(Topics.VERDICTS);
  }

  @Override
  public void close() {
    streams.close();
  }
}
