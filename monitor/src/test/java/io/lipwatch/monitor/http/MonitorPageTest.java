package io.lipwatch.monitor.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The page and its files over real HTTP: what index.html references is served from the classpath; nothing else is. */
class MonitorPageTest {
  static MonitorHttpServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    server = new MonitorHttpServer("127.0.0.1", 0, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), ModelApi.NONE, () -> true);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void rootIsThePageAndEveryFileItReferencesIsServed() throws Exception {
    HttpResponse<String> page = get("/");
    assertEquals(200, page.statusCode());
    assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElse(""));
    Matcher m = Pattern.compile("(?:src|href)=\"(ui/[^\"]+)\"").matcher(page.body());
    int n = 0;
    while (m.find()) {
      HttpResponse<String> asset = get("/" + m.group(1));
      assertEquals(200, asset.statusCode(), m.group(1));
      assertTrue(asset.body().length() > 100, m.group(1));
      n++;
    }
    assertEquals(5, n, "uPlot script and css, its licence, the page's script and css");
    assertTrue(get("/ui/vendor/uplot/LICENSE").body().contains("The MIT License"));
    assertTrue(get("/ui/vendor/uplot/uPlot.iife.min.js").headers().firstValue("Content-Type").orElse("").startsWith("text/javascript"));
    // no CDN: every script and stylesheet is local
    assertTrue(!page.body().contains("http://") && !page.body().contains("https://") && !page.body().contains("//cdn"));
  }

  @Test
  void onlyKnownFilesAreServed() throws Exception {
    for (String path : List.of("/ui/", "/ui/../MonitorHttpServer.class", "/ui/%2e%2e/MonitorHttpServer.class",
        "/ui/nope.js", "/ui/vendor", "/ui/app.js.bak", "/nope", "/ui//app.js", "/ui/MonitorHttpServer.class")) {
      HttpResponse<String> r = get(path);
      assertEquals(404, r.statusCode(), path);
      assertTrue(r.body().contains("\"error\""), path);
    }
    assertEquals(200, get("/api/models").statusCode());
    assertEquals(200, get("/index.html").statusCode());
  }
}
