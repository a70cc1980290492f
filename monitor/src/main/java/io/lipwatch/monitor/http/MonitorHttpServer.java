package io.lipwatch.monitor.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.lipwatch.estimator.estimate.EstimateJson;
import io.lipwatch.monitor.stream.ModelHistory;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The monitor's HTTP endpoints: {@code /metrics} (Prometheus text or OpenMetrics, by the Prometheus client's own
 * handler), {@code /healthz}, {@code /api/models} and {@code /api/models/{model}/versions}. Errors are JSON.
 */
public final class MonitorHttpServer implements AutoCloseable {
  private final HttpServer server;
  private final ObjectMapper json = EstimateJson.mapper();

  public MonitorHttpServer(String host, int port, PrometheusMeterRegistry registry, ModelHistory history, BooleanSupplier healthy)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(host, port), 32);
    server.createContext("/metrics", new MetricsHandler(registry.getPrometheusRegistry()));
    server.createContext("/healthz", ex -> {
      boolean ok = healthy.getAsBoolean();
      send(ex, ok ? 200 : 503, Map.of("status", ok ? "UP" : "DOWN"));
    });
    server.createContext("/api/models", ex -> api(ex, history));
    server.createContext("/", ex -> send(ex, 404, error(404, "no such endpoint: " + ex.getRequestURI().getPath())));
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

  private void api(HttpExchange ex, ModelHistory history) throws IOException {
    if (!"GET".equals(ex.getRequestMethod())) {
      send(ex, 405, error(405, "only GET is supported"));
      return;
    }
    String path = ex.getRequestURI().getPath().replaceAll("/+$", "");
    String[] parts = path.split("/");
    // ["", "api", "models"] or ["", "api", "models", "{model}", "versions"]
    if (parts.length == 3) {
      List<Map<String, Object>> out = history.models().stream().map(m -> {
        var e = history.latest(m);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("model", m);
        row.put("version", e.version());
        row.put("bestUpper", e.lipschitz() == null ? null : e.lipschitz().bestUpper());
        row.put("bestLower", e.lipschitz() == null ? null : e.lipschitz().bestLower());
        row.put("estimatedAt", e.estimatedAt());
        return row;
      }).toList();
      send(ex, 200, Map.of("models", out));
    } else if (parts.length == 5 && parts[4].equals("versions")) {
      var versions = history.versions(parts[3]);
      if (versions == null) {
        send(ex, 404, error(404, "unknown model '" + parts[3] + "'"));
      } else {
        send(ex, 200, Map.of("model", parts[3], "versions", versions));
      }
    } else {
      send(ex, 404, error(404, "no such endpoint: " + path));
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
