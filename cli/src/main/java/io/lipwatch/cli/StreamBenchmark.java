package io.lipwatch.cli;

import io.lipwatch.estimator.estimate.Estimate;
import io.lipwatch.estimator.estimate.LowerBound;
import io.lipwatch.estimator.estimate.Probes;
import io.lipwatch.estimator.estimate.UpperBound;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.snapshot.SnapshotPublisher;
import io.lipwatch.estimator.probes.ProbeSetPublisher;
import io.lipwatch.estimator.stream.EstimatorService;
import io.lipwatch.estimator.stream.EstimatorSettings;
import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.estimator.stream.TopicAdmin;
import io.lipwatch.estimator.stream.Topics;
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
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

/**
 * {@code lipwatch bench stream}: the time from publishing a snapshot of the demo MLP (784-256-256-10, one epoch of
 * Fashion-MNIST) to its version on the monitor's /metrics, through an embedded broker, the estimator with the stream's
 * default engine and probe suite, and the monitor — what a user waits for after a retraining run. Then where one
 * estimate's time went, read from the timed snapshots' estimates on {@code lipwatch.estimates}: each bound method's
 * seconds, the probes' seconds per phase ({@code probes.timings}) and per attack, median over the snapshots.
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
    double[] load = new double[repeats];
    List<Estimate> estimates;
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
          load[v - 1] = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        }
      }
      estimates = estimates(kafka, 2, repeats + 1, Duration.ofSeconds(30));
    }
    return table(seconds) + breakdown(estimates) + figures(estimates) + String.format(Locale.ROOT,
        "load average (1 min) after each timed snapshot: %s%n", join(load));
  }

  /** The estimates of versions from..to of the model (the timed snapshots), in version order. */
  private static List<Estimate> estimates(KafkaConnection kafka, long from, long to, Duration timeout) {
    Map<String, Object> props = new HashMap<>(kafka.toMap());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "lipwatch-bench-stream");
    Map<Long, Estimate> byVersion = new TreeMap<>();
    try (KafkaConsumer<String, Estimate> c = new KafkaConsumer<>(props, Topics.ESTIMATES.keySerde().deserializer(),
        Topics.ESTIMATES.valueSerde().deserializer())) {
      List<TopicPartition> parts = c.partitionsFor(Topics.ESTIMATES.name(), timeout).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (byVersion.size() < to - from + 1 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, Estimate> r : c.poll(Duration.ofMillis(250))) {
          Estimate e = r.value();
          if (e != null && MODEL.equals(e.model()) && e.version() >= from && e.version() <= to) {
            byVersion.put(e.version(), e);
          }
        }
      }
    }
    return List.copyOf(byVersion.values());
  }

  /**
   * Where one estimate's time goes, median (and range) over the estimates: the whole estimate, each bound method (the
   * engine runs beside the probes, so these overlap them), the probes, each probe phase and each attack.
   */
  static String breakdown(List<Estimate> estimates) {
    if (estimates.isEmpty()) {
      return String.format(Locale.ROOT, "%nno estimate of the timed versions read from %s: no breakdown%n",
          Topics.ESTIMATES.name());
    }
    Map<String, List<Double>> parts = new LinkedHashMap<>();
    for (Estimate e : estimates) {
      add(parts, "estimate (engine ‖ probes)", e.seconds());
      addBounds(parts, e, UpperBound::seconds, LowerBound::seconds);
      Probes p = e.probes();
      if (p == null) {
        continue;
      }
      if (p.seconds() != null) {
        add(parts, "probes", p.seconds());
      }
      if (p.timings() != null) {
        p.timings().forEach((phase, secs) -> add(parts, "probes: " + phase, secs));
      }
      if (p.attacks() != null) {
        for (Probes.AttackResult a : p.attacks()) {
          if (a.seconds() != null) {
            add(parts, "attacks: " + attackName(a) + (a.steps() == null ? "" : " " + a.steps() + " steps"),
                a.seconds());
          }
        }
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%nwhere one estimate's time goes (median over %d timed estimates; the engine runs"
        + " beside the probes, so bound and probe times overlap):%n", estimates.size()));
    sb.append(String.format(Locale.ROOT, "| part | median | min–max |%n| --- | --- | --- |%n"));
    for (Map.Entry<String, List<Double>> p : parts.entrySet()) {
      double[] v = p.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
      String seen = v.length < estimates.size() ? " (" + v.length + " of " + estimates.size() + ")" : "";
      sb.append(String.format(Locale.ROOT, "| %s%s | %.3f s | %.3f–%.3f s |%n", p.getKey(), seen, median(v), v[0],
          v[v.length - 1]));
    }
    return sb.toString();
  }

  /**
   * What the timed estimates measured, median (and range) per figure: each bound method's value, clean accuracy, each
   * attack's robust accuracy, each certified accuracy (method and ε) and the median minimal perturbation — so a change
   * made for speed shows whether it moved a figure.
   */
  static String figures(List<Estimate> estimates) {
    if (estimates.isEmpty()) {
      return "";
    }
    Map<String, List<Double>> figs = new LinkedHashMap<>();
    for (Estimate e : estimates) {
      addBounds(figs, e, UpperBound::value, LowerBound::value);
      Probes p = e.probes();
      if (p == null) {
        continue;
      }
      add(figs, "clean accuracy", p.cleanAccuracy());
      if (p.attacks() != null) {
        for (Probes.AttackResult a : p.attacks()) {
          add(figs, "robust accuracy " + attackName(a), a.robustAccuracy());
        }
      }
      if (p.certified() != null) {
        for (Probes.CertifiedAccuracy c : p.certified()) {
          add(figs, "certified accuracy " + c.methodOrGlobal() + " " + c.norm() + " ε=" + fmt(c.eps()), c.accuracy());
        }
      }
      if (p.medianMinPerturbation() != null) {
        add(figs, "median minimal perturbation " + p.medianMinPerturbation().norm(), p.medianMinPerturbation().value());
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%nwhat the timed estimates measured (median over %d):%n", estimates.size()));
    sb.append(String.format(Locale.ROOT, "| figure | median | min–max |%n| --- | --- | --- |%n"));
    for (Map.Entry<String, List<Double>> f : figs.entrySet()) {
      double[] v = f.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
      sb.append(String.format(Locale.ROOT, "| %s | %.5g | %.5g–%.5g |%n", f.getKey(), median(v), v[0], v[v.length - 1]));
    }
    return sb.toString();
  }

  private static void add(Map<String, List<Double>> parts, String key, double secs) {
    parts.computeIfAbsent(key, k -> new ArrayList<>()).add(secs);
  }

  /** One entry per bound method of the estimate (the same keys in both tables): what upper or lower reads of it. */
  private static void addBounds(Map<String, List<Double>> parts, Estimate e, ToDoubleFunction<UpperBound> upper,
      ToDoubleFunction<LowerBound> lower) {
    if (e.lipschitz() == null) {
      return;
    }
    for (UpperBound u : e.lipschitz().upper()) {
      add(parts, "bound " + u.method() + (u.sound() ? " (sound)" : ""), upper.applyAsDouble(u));
    }
    for (LowerBound l : e.lipschitz().lower()) {
      add(parts, "bound " + l.method() + " (lower)", lower.applyAsDouble(l));
    }
  }

  /** An attack as both tables name it: attack[/losses] norm ε. */
  private static String attackName(Probes.AttackResult a) {
    return a.attack() + (a.losses() == null ? "" : "/" + String.join("+", a.losses())) + " " + a.norm() + " ε="
        + fmt(a.eps());
  }

  private static String fmt(double v) {
    return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%s", v);
  }

  private static double median(double[] sorted) {
    int m = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[m] : 0.5 * (sorted[m - 1] + sorted[m]);
  }

  private static String join(double[] v) {
    List<String> each = new ArrayList<>();
    for (double x : v) {
      each.add(String.format(Locale.ROOT, "%.2f", x));
    }
    return String.join(", ", each);
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
    double median = median(s);
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
