package io.lipwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.snapshot.SnapshotPublisher;
import io.lipwatch.estimator.stream.KafkaConnection;
import io.lipwatch.estimator.testing.TestModels;
import io.lipwatch.trainer.data.Datasets;
import io.lipwatch.trainer.loop.RetrainingLoop;
import io.lipwatch.trainer.model.Architectures;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;

/**
 * The demo, scraped by a real Prometheus (Debian package) loaded with our alert rules: every dashboard query and
 * every alert expression runs through Prometheus's HTTP API; a genuinely less robust version of a model raises the
 * verdict alert.
 */
class PrometheusEndToEndIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final String MODEL = "e2e-mlp";
  static final String REGRESSING = "regressing-mlp";

  @TempDir
  static Path tmp;
  static Demo demo;
  static Process prometheus;
  static int promPort;
  static Path root;

  @BeforeAll
  static void start() throws Exception {
    root = repositoryRoot();
    // the demo's regression scenario: CLIP, then the trainer drops it after 4 snapshots
    demo = Demo.start(new Demo.Config(null, 0, 0, null, DemoCommand.trainer(MODEL, Datasets.FASHION_MNIST, 3000, Duration.ofSeconds(4),
        DemoCommand.demoRegularization("clip")), Demo.Scenario.regression));
    promPort = freePort();
    Path config = tmp.resolve("prometheus.yml");
    Files.writeString(config, """
        global:
          scrape_interval: 2s
          scrape_timeout: 2s
          evaluation_interval: 1s
        rule_files:
          - %s
        scrape_configs:
          - job_name: lipwatch-demo
            static_configs:
              - targets: ["127.0.0.1:%d"]
        """.formatted(root.resolve("deploy/prometheus/rules/lipwatch-alerts.yml"), demo.metricsPort()));
    prometheus = new ProcessBuilder("prometheus", "--config.file=" + config, "--storage.tsdb.path=" + tmp.resolve("tsdb"),
        "--web.listen-address=127.0.0.1:" + promPort).redirectErrorStream(true).redirectOutput(tmp.resolve("prometheus.log").toFile()).start();
    await("Prometheus ready", Duration.ofSeconds(60), () -> get("/-/ready").contains("Ready"));
    // published once Prometheus has seen the rejection counter at zero, so increases over the dashboards' ranges see them
    // the model's counter exists at zero from its first estimate on (the estimator registers it then)
    await("the model's rejection counter scraped at 0", Duration.ofMinutes(4),
        () -> has("lipwatch_snapshots_rejected_total{model=\"" + MODEL + "\",reason=\"not-a-model-zip\"} == 0"));
    publishBadAndRegressingSnapshots();
    await("the demo model, the regression and the rejection in Prometheus", Duration.ofMinutes(4),
        () -> has("lipwatch_verdict{model=\"" + MODEL + "\"}") && has("lipwatch_verdict{model=\"" + REGRESSING + "\"} == 2")
            && has("increase(lipwatch_snapshots_rejected_total{reason=\"not-a-model-zip\"}[2m]) > 0")
            && has("lipwatch_robust_accuracy_ratio{model=\"" + MODEL + "\"}") && has("lipwatch_trainer_epoch_duration_seconds_count")
            // a reference ratio needs a second estimated version of the demo model (the first has no reference)
            && has("lipwatch_reference_ratio{model=\"" + MODEL + "\",metric=\"best_upper\"}")
            && has("count_over_time(lipwatch_verdict{model=\"" + MODEL + "\"}[2m]) >= 3"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (prometheus != null) {
      prometheus.destroy();
      if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
        prometheus.destroyForcibly();
      }
    }
    if (demo != null) {
      demo.close();
    }
  }

  /** A corrupt snapshot for the DLQ; and a model whose second version is the first with 4× larger input weights. */
  static void publishBadAndRegressingSnapshots() throws Exception {
    var splits = Datasets.load(Datasets.FASHION_MNIST, "fashion-mnist");
    var train = Datasets.toDataSet(splits.train().head(2000));
    MultiLayerNetwork net = Architectures.mlp(784, new int[] {64}, 10, Activation.RELU, 1e-3, 3);
    net.fit(new ListDataSetIterator<>(Datasets.batches(train, 100, 1), 1));
    try (SnapshotPublisher p = new SnapshotPublisher(KafkaConnection.of(demo.bootstrap()), SnapshotLimits.defaults(), null, null)) {
      byte[] junk = TestModels.randomBytes(11, 5000);
      p.publish(SnapshotMetadata.of(MODEL, 999, Sha256.hex(junk)), junk);
      byte[] v1 = RetrainingLoop.serialize(net);
      p.publish(SnapshotMetadata.of(REGRESSING, 1, Sha256.hex(v1)).withProvenance("fashion-mnist", new double[] {0, 1}, "none",
          0.0, 1, null, "e2e"), v1);
      net.getLayer(0).setParam("W", net.getLayer(0).getParam("W").mul(4));
      byte[] v2 = RetrainingLoop.serialize(net);
      p.publish(SnapshotMetadata.of(REGRESSING, 2, Sha256.hex(v2)).withProvenance("fashion-mnist", new double[] {0, 1}, "none",
          0.0, 2, null, "e2e"), v2);
    }
  }

  @Test
  void everyDashboardQueryIsValidAndReturnsSeries() throws Exception {
    List<String> failures = new ArrayList<>();
    int n = 0;
    try (Stream<Path> files = Files.list(root.resolve("grafana/dashboards"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
        for (JsonNode panel : JSON.readTree(f.toFile()).path("panels")) {
          for (JsonNode target : panel.path("targets")) {
            String expr = target.path("expr").asText("");
            if (expr.isBlank()) {
              continue;
            }
            n++;
            String q = expr.replace("$__rate_interval", "2m").replace("${__rate_interval}", "2m")
                .replace("$__interval", "5s").replace("${model}", MODEL).replace("$model", MODEL)
                // the repeated band panel, at the radius where the stream runs both PGD-L2 and certificates
                .replace("${eps}", "2.0").replace("$eps", "2.0");
            JsonNode r = query(q);
            if (!"success".equals(r.path("status").asText())) {
              failures.add(f.getFileName() + " / " + panel.path("title").asText() + ": invalid: " + r);
            } else if (r.path("data").path("result").isEmpty()) {
              failures.add(f.getFileName() + " / " + panel.path("title").asText() + ": no series for " + q);
            }
          }
        }
      }
    }
    assertTrue(n > 20, "dashboards hold queries");
    assertEquals(List.of(), failures);
  }

  @Test
  void everyAlertExpressionIsValidAndTheRegressionRaisesTheVerdictAlert() throws Exception {
    JsonNode rules = new YAMLMapper().readTree(root.resolve("deploy/prometheus/rules/lipwatch-alerts.yml").toFile());
    List<String> failures = new ArrayList<>();
    for (JsonNode group : rules.path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        JsonNode r = query(rule.path("expr").asText());
        if (!"success".equals(r.path("status").asText())) {
          failures.add(rule.path("alert").asText(rule.path("record").asText()) + ": " + r);
        }
      }
    }
    assertEquals(List.of(), failures);
    // the rules are loaded and, once evaluated (the recording group runs every minute), healthy in Prometheus itself
    await("every rule evaluated", Duration.ofSeconds(100), () -> {
      List<String> health = new ArrayList<>();
      try {
        JSON.readTree(get("/api/v1/rules")).path("data").path("groups").forEach(g -> g.path("rules").forEach(r -> health.add(r.path("health").asText())));
      } catch (IOException e) {
        return false;
      }
      return !health.isEmpty() && !health.contains("unknown");
    });
    JsonNode loaded = JSON.readTree(get("/api/v1/rules"));
    loaded.path("data").path("groups").forEach(g -> g.path("rules").forEach(r ->
        assertEquals("ok", r.path("health").asText(), r.path("name").asText() + ": " + r.path("lastError").asText())));
    // the less robust version raises the verdict alert (pending until its for: has passed, then firing)
    await("LipwatchVerdictFail for " + REGRESSING, Duration.ofSeconds(60), () -> !query(
        "ALERTS{alertname=\"LipwatchVerdictFail\",model=\"" + REGRESSING + "\",alertstate=~\"pending|firing\"}")
        .path("data").path("result").isEmpty());
    // and the demo's own regression scenario: once CLIP is dropped its versions FAIL and the alert is raised
    // (the reference checks may FAIL an earlier, drifting version too: wait for a FAIL alert past the drop)
    await("LipwatchVerdictFail for the demo's regression scenario", Duration.ofMinutes(4), () -> has(
        "lipwatch_snapshot_version{model=\"" + MODEL + "\"} > " + Demo.REGRESS_AFTER) && !query(
        "ALERTS{alertname=\"LipwatchVerdictFail\",model=\"" + MODEL + "\",alertstate=~\"pending|firing\"}")
        .path("data").path("result").isEmpty());
    assertTrue(has("lipwatch_snapshot_version{model=\"" + MODEL + "\"} > " + Demo.REGRESS_AFTER),
        "the FAIL comes after the regulariser was dropped");
  }

  static boolean has(String promql) {
    return !query(promql).path("data").path("result").isEmpty();
  }

  static JsonNode query(String promql) {
    try {
      return JSON.readTree(get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static String get(String path) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + promPort + path)).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  static String metrics() {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + demo.metricsPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      synchronized (PrometheusEndToEndIT.class) {
        PrometheusEndToEndIT.class.wait(500);
      }
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static Path repositoryRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("grafana"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("repository root (with grafana/) not found above " + Path.of("").toAbsolutePath());
    }
    return p;
  }
}
