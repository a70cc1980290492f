package io.lipwatch.cli;

import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.snapshot.SnapshotPublisher;
import io.lipwatch.estimator.probes.ProbeSetPublisher;
import io.lipwatch.estimator.stream.EstimatorService;
import io.lipwatch.estimator.stream.EstimatorSettings;
import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.estimator.stream.TopicAdmin;
import io.lipwatch.monitor.stream.MonitorService;
import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.loop.RetrainingLoop;
import io.lipwatch.trainer.loop.TrainerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

/**
 * {@code lipwatch bench stream}: the time from publishing a snapshot of the demo MLP (784-256-256-10, one epoch of
 * Fashion-MNIST) to its version on the monitor's /metrics, through an embedded broker, the estimator with the stream's
 * default engine and probe suite, and the monitor — what a user waits for after a retraining run.
 */
final class StreamBenchmark {
  static final String MODEL = "bench-mlp";
  /** Target from the performance work: publish → /metrics within 5 s for the demo MLP. */
  static final double TARGET_SECONDS = 5.0;

  private StreamBenchmark() {}

  static String run(Path data, int trainSamples, int repeats, long seed) throws Exception {
    TrainerConfig cfg = DemoCommand.trainer(MODEL, data, trainSamples, Duration.ZERO);
    Datasets.Splits splits = Datasets.load(data, cfg.dataset());
    MultiLayerNetwork net = RetrainingLoop.buildNetwork(cfg, 784, 10);
    DataSet train = Datasets.toDataSet(splits.train().head(trainSamples));
    for (DataSet b : Datasets.batches(train, 128, seed)) {
      net.fit(b);
    }
    Path work = Files.createTempDirectory("lipwatch-bench-stream-");
    double[] seconds = new double[repeats];
    try (Closer parts = new Closer()) {
      parts.register((AutoCloseable) () -> deleteTree(work));
      BrokerService broker = parts.register(new BrokerService(0, null));
      broker.start();
      KafkaConnection kafka = KafkaConnection.of(broker.bootstrapServers());
      TopicAdmin.ensureTopics(kafka.toMap(), 1, (short) 1);
      MonitorService monitor = parts.register(new MonitorService(kafka, work.resolve("monitor"), "127.0.0.1", 0, null));
      EstimatorService estimator = parts.register(new EstimatorService(kafka, EstimatorSettings.defaults(),
          work.resolve("estimator"), monitor.registry()));
      monitor.start();
      estimator.start();
      ProbeSetPublisher.publish(kafka, splits.test().head(EstimatorSettings.streamProbes().samples()));
      SnapshotPublisher publisher = parts.register(new SnapshotPublisher(kafka, SnapshotLimits.defaults(), null, null));
      byte[] zip = RetrainingLoop.serialize(net);
      // version 0 warms the JVM, the broker and the model's first estimate (no warm start), and is not reported
      for (int v = 0; v <= repeats; v++) {
        SnapshotMetadata meta = SnapshotMetadata.of(MODEL, v + 1, Sha256.hex(zip))
            .withProvenance(cfg.dataset(), new double[] {0, 1}, "none", null, 1, null, null);
        long t0 = System.nanoTime();
        publisher.publish(meta, zip);
        awaitVersion(monitor.httpPort(), v + 1, Duration.ofMinutes(5));
        if (v > 0) {
          seconds[v - 1] = (System.nanoTime() - t0) / 1e9;
        }
      }
    }
    return table(seconds);
  }

  private static void awaitVersion(int port, long version, Duration timeout) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build();
    String want = "lipwatch_snapshot_version{model=\"" + MODEL + "\"} " + (double) version;
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (http.send(get, HttpResponse.BodyHandlers.ofString()).body().contains(want)) {
        return;
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("version " + version + " of " + MODEL + " did not reach /metrics within " + timeout);
  }

  private static void deleteTree(Path root) throws java.io.IOException {
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  static String table(double[] seconds) {
    double[] s = seconds.clone();
    Arrays.sort(s);
    double median = s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    List<String> each = new ArrayList<>();
    for (double v : seconds) {
      each.add(String.format(Locale.ROOT, "%.2f", v));
    }
    return String.format(Locale.ROOT, "| work | median | min–max | each | target |%n| --- | --- | --- | --- | --- |%n"
        + "| publish → /metrics, demo MLP 784-256-256-10, stream probe suite (%d samples) | %.2f s | %.2f–%.2f s | %s | ≤ %.0f s %s |%n",
        EstimatorSettings.streamProbes().samples(), median, s[0], s[s.length - 1], String.join(", ", each),
        TARGET_SECONDS, median <= TARGET_SECONDS ? "(met)" : "(missed)");
  }
}
