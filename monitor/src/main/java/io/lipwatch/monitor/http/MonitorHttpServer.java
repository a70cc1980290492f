package io.lipwatch.monitor.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.lipwatch.estimator.estimate.EstimateJson;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The monitor's HTTP endpoints: {@code /metrics} (Prometheus text or OpenMetrics, by the Prometheus client's own
 * handler), {@code /healthz}, {@code /api/models}, {@code /api/models/{model}/versions}, and the page at {@code /}
 * (with its files under {@code /ui/}) that draws the API. Errors are JSON.
 */
public final class MonitorHttpServer implements AutoCloseable {
  private final HttpServer server;
  private final ObjectMapper json = EstimateJson.mapper();

  public MonitorHttpServer(String host, int port, PrometheusMeterRegistry registry, ModelApi api, BooleanSupplier healthy)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(host, port), 32);
    server.createContext("/metrics", new MetricsHandler(registry.getPrometheusRegistry()));
    server.createContext("/healthz", ex -> {
      boolean ok = healthy.getAsBoolean();
      send(ex, ok ? 200 : 503, Map.of("status", ok ? "UP" : "DOWN"));
    });
    server.createContext("/api/models", ex -> {
      try {
        api(ex, api);
      } catch (RuntimeException e) {
        // e.g. state stores not queryable while the monitor rebalances
        send(ex, 503, error(503, "model history not available right now: " + e.getMessage()));
      }
    });
    server.createContext("/ui/", ex -> asset(ex, ex.getRequestURI().getPath().substring("/ui/".length())));
    server.createContext("/", ex -> {
      String path = ex.getRequestURI().getPath();
      if (path.equals("/") || path.equals("/index.html")) {
        asset(ex, "index.html");
      } else {
        send(ex, 404, error(404, "no such endpoint: " + path));
      }
    });
    server.setExecutor(Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "lipwatch-http");
      t.setDaemon(true);
      return t;
    }));
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void api(HttpExchange ex, ModelApi api) throws IOException {
    if (!"GET".equals(ex.getRequestMethod())) {
      send(ex, 405, error(405, "only GET is supported"));
      return;
    }
    String path = ex.getRequestURI().getPath().replaceAll("/+$", "");
    String[] parts = path.split("/");
    // ["", "api", "models"] or ["", "api", "models", "{model}", "versions"]
    if (parts.length == 3) {
      send(ex, 200, Map.of("models", api.models()));
    } else if (parts.length == 5 && parts[4].equals("versions")) {
      var versions = api.versions(parts[3]);
      if (versions.isEmpty()) {
        send(ex, 404, error(404, "unknown model '" + parts[3] + "'"));
      } else {
        send(ex, 200, versions.get());
      }
    } else {
      send(ex, 404, error(404, "no such endpoint: " + path));
    }
  }

  private void asset(HttpExchange ex, String relative) throws IOException {
    if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
      send(ex, 405, error(405, "only GET is supported"));
      return;
    }
    var asset = StaticAssets.find(relative);
    if (asset.isEmpty()) {
      send(ex, 404, error(404, "no such file: " + ex.getRequestURI().getPath()));
      return;
    }
    byte[] bytes = asset.get().bytes();
    ex.getResponseHeaders().set("Content-Type", asset.get().contentType());
    // the page and its files come from the jar; a monitor upgrade must not leave an old script in the browser's cache
    ex.getResponseHeaders().set("Cache-Control", "no-cache");
    ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    if ("HEAD".equals(ex.getRequestMethod())) {
      ex.sendResponseHeaders(200, -1);
      ex.close();
      return;
    }
    ex.sendResponseHeaders(200, bytes.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(bytes);
    }
  }

  private static Map<String, Object> error(int status, String message) {
    return Map.of("error", message, "status", status);
  }

  private void send(HttpExchange ex, int status, Object body) throws IOException {
    byte[] bytes = json.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
