package io.lipwatch.monitor.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lipwatch.estimator.snapshot.Sha256;
import io.lipwatch.estimator.snapshot.SnapshotLimits;
import io.lipwatch.estimator.snapshot.SnapshotMetadata;
import io.lipwatch.estimator.snapshot.SnapshotPublisher;
import io.lipwatch.estimator.testing.Required;
import io.lipwatch.estimator.testing.TestModels;
import io.lipwatch.monitor.testing.LivePipeline;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;

/**
 * The monitor's page in a real browser (Debian chromium, headless, over the DevTools protocol) against the real
 * pipeline: embedded KRaft broker, estimator and monitor streams, snapshots of two models (one version less robust,
 * one rejected). The page must draw every version, agree with /api/models, follow new versions without a reload, and
 * log no JavaScript error. Its screenshot is kept in target/ as a test artefact.
 */
class MonitorPageIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final String MODEL = "page-mlp";
  static final String OTHER = "other-mlp";
  static final String DATASET = "fashion-mnist";

  @TempDir
  static Path tmp;
  static LivePipeline pipeline;
  static SnapshotPublisher publisher;
  static MultiLayerNetwork net;

  @BeforeAll
  static void start() throws Exception {
    pipeline = LivePipeline.start(tmp, 1, 60);
    // the probe set the snapshots name
    pipeline.publishRandomProbes(DATASET);
    publisher = new SnapshotPublisher(pipeline.kafka, SnapshotLimits.defaults(), null, null);
    net = TestModels.mlp(21, Activation.RELU, 30, 20, 10);
    publish(MODEL, 1, TestModels.zip(net));
    scaleFirstLayer(1.05);
    publish(MODEL, 2, TestModels.zip(net));
    publish(OTHER, 1, TestModels.zip(TestModels.mlp(5, Activation.RELU, 30, 16, 10)));
    // the rejected version only enters the history of a model the monitor already knows
    await("v1 and v2 of " + MODEL + " in the history", Duration.ofSeconds(120), () -> versions(MODEL).size() == 2);
    publish(MODEL, 3, TestModels.randomBytes(11, 5000));
    scaleFirstLayer(4);
    publish(MODEL, 4, TestModels.zip(net));
    await("four versions of " + MODEL + " and " + OTHER, Duration.ofSeconds(120),
        () -> versions(MODEL).size() == 4 && versions(OTHER).size() == 1);
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {publisher, pipeline}) {
      if (c != null) {
        c.close();
      }
    }
  }

  @Test
  void pageDrawsEveryVersionAgreesWithTheApiAndFollowsNewVersions() throws Exception {
    Path chromium = Required.tool("chromium", "chromium");
    Path artefacts = Files.createDirectories(Path.of("target", "browser"));
    String url = "http://127.0.0.1:" + pipeline.monitor.httpPort() + "/";
    try (HeadlessChromium browser = HeadlessChromium.launch(chromium, tmp.resolve("profile"), artefacts.resolve("chromium.log"))) {
      browser.navigate(url + "#" + MODEL);
      await("the page's charts show the four versions", Duration.ofSeconds(60), () -> pageShows(browser, 4));

      // the models table says what /api/models says
      JsonNode api = JSON.readTree(get("/api/models")).path("models");
      assertEquals(2, api.size());
      JsonNode cells = browser.eval("Array.from(document.querySelectorAll('#models tbody tr')).map(tr => ({model: "
          + "tr.dataset.model, version: tr.querySelector('.version').textContent, verdict: tr.querySelector('.verdict').textContent}))");
      Map<String, String> page = new HashMap<>();
      cells.forEach(c -> page.put(c.path("model").asText(), c.path("version").asText() + " " + c.path("verdict").asText()));
      Map<String, String> expected = new HashMap<>();
      api.forEach(m -> expected.put(m.path("model").asText(), m.path("version").asText() + " " + m.path("verdict").asText()));
      assertEquals(expected, page);
      assertEquals("4 FAIL", page.get(MODEL), "the 4x version fails against v2");

      // the versions table: each version's verdict as in the history, the rejected one with its DLQ reason
      JsonNode history = JSON.readTree(get("/api/models/" + MODEL + "/versions")).path("versions");
      JsonNode rows = browser.eval("Array.from(document.querySelectorAll('#versions tbody tr')).map(tr => ({version: "
          + "tr.dataset.version, verdict: tr.querySelector('.verdict').textContent, text: tr.textContent}))");
      assertEquals(4, rows.size());
      Map<String, String> rowVerdicts = new HashMap<>();
      Map<String, String> rowText = new HashMap<>();
      rows.forEach(r -> {
        rowVerdicts.put(r.path("version").asText(), r.path("verdict").asText());
        rowText.put(r.path("version").asText(), r.path("text").asText());
      });
      Map<String, String> historyVerdicts = new HashMap<>();
      history.forEach(v -> historyVerdicts.put(v.path("version").asText(), v.path("verdict").asText()));
      assertEquals(historyVerdicts, rowVerdicts);
      assertEquals("PASS", rowVerdicts.get("1"));
      assertEquals("FAIL", rowVerdicts.get("3"));
      assertTrue(rowText.get("3").contains("rejected: not-a-model-zip"), rowText.get("3"));
      assertTrue(rowText.get("4").contains("best-upper-growth"), rowText.get("4"));

      // the charts hold drawn pixels, not only data: the bounds chart on a log scale with the shaded interval
      assertEquals("2", browser.eval("document.querySelector('#chart-bounds').dataset.series").asText(), "bestUpper and bestLower");
      for (String chart : List.of("chart-bounds", "chart-robust", "chart-certified")) {
        int painted = browser.eval("(() => { const c = document.querySelector('#" + chart + " canvas'); "
            + "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; "
            + "for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; })()").asInt();
        assertTrue(painted > 500, chart + " painted " + painted + " pixels");
      }

      // a new version appears without a reload
      scaleFirstLayer(0.25);
      publish(MODEL, 5, TestModels.zip(net));
      await("the page shows v5 by itself", Duration.ofSeconds(120), () -> pageShows(browser, 5));

      browser.screenshot(artefacts.resolve("lipwatch-page.png"), 1280);
      assertTrue(Files.size(artefacts.resolve("lipwatch-page.png")) > 20_000, "a screenshot with content");

      // a click on the other model's row shows its charts and versions
      browser.eval("document.querySelector('#models tr[data-model=\"" + OTHER + "\"]').click()");
      await("the page shows " + OTHER, Duration.ofSeconds(30), () -> pageShows(browser, 1)
          && OTHER.equals(browser.eval("document.getElementById('detail-title').textContent").asText()));
      assertEquals(List.of(), browser.errors(), "JavaScript errors on the page");
    }
  }

  /** True once the selected model's charts and versions table hold {@code n} versions. */
  static boolean pageShows(HeadlessChromium browser, int n) {
    try {
      return browser.eval("['chart-bounds','chart-robust','chart-certified'].every(id => { const e = document.getElementById(id); "
          + "return e.dataset.versions === '" + n + "' && e.querySelector('canvas') !== null; })"
          + " && document.querySelectorAll('#versions tbody tr').length === " + n).asBoolean();
    } catch (Exception e) {
      return false;
    }
  }

  static void scaleFirstLayer(double factor) {
    net.getLayer(0).setParam("W", net.getLayer(0).getParam("W").mul(factor));
  }

  static void publish(String model, long version, byte[] zip) throws Exception {
    publisher.publish(SnapshotMetadata.of(model, version, Sha256.hex(zip)).withProvenance(DATASET, new double[] {0, 1}, "none",
        0.0, (int) version, 0.5, "page-it"), zip);
  }

  static List<JsonNode> versions(String model) {
    try {
      List<JsonNode> out = new ArrayList<>();
      JSON.readTree(get("/api/models/" + model + "/versions")).path("versions").forEach(out::add);
      return out;
    } catch (IOException e) {
      return List.of();
    }
  }

  static String get(String path) throws IOException {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + pipeline.monitor.httpPort() + path)).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  static void await(String what, Duration timeout, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.call()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      synchronized (MonitorPageIT.class) {
        MonitorPageIT.class.wait(250);
      }
    }
  }
}
