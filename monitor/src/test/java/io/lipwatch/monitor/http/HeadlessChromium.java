package io.lipwatch.monitor.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's chromium, headless, driven over the DevTools protocol with Java's own WebSocket client (no Selenium). It
 * records every console error, uncaught exception and browser log error of the page, so a test can fail on them.
 */
final class HeadlessChromium implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://\\S+)");
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
  private final ObjectMapper json = new ObjectMapper();
  private final Process process;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final List<String> errors = new ArrayList<>();

  private HeadlessChromium(Process process, String pageSocket) throws Exception {
    this.process = process;
    socket = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(CALL_TIMEOUT)
        .buildAsync(URI.create(pageSocket), new Listener()).get(30, TimeUnit.SECONDS);
    call("Runtime.enable", Map.of());
    call("Log.enable", Map.of());
    call("Page.enable", Map.of());
  }

  /** Starts chromium with a fresh profile and no network traffic of its own; its stderr goes to {@code log}. */
  static HeadlessChromium launch(Path chromium, Path profile, Path log) throws Exception {
    Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--remote-debugging-port=0", "--window-size=1280,900",
        "about:blank").redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    CompletableFuture<String> browserSocket = new CompletableFuture<>();
    Thread drain = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
           PrintWriter w = new PrintWriter(Files.newBufferedWriter(log), true)) {
        String line;
        while ((line = r.readLine()) != null) {
          w.println(line);
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            browserSocket.complete(m.group(1));
          }
        }
      } catch (IOException e) {
        browserSocket.completeExceptionally(e);
      }
      browserSocket.completeExceptionally(new IllegalStateException("chromium exited before DevTools listened; see " + log));
    }, "chromium-stderr");
    drain.setDaemon(true);
    drain.start();
    try {
      URI browser = URI.create(browserSocket.get(60, TimeUnit.SECONDS));
      // the page target's own socket, from the DevTools HTTP endpoint on the same port
      String list = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://" + browser.getAuthority() + "/json/list")).build(), HttpResponse.BodyHandlers.ofString()).body();
      for (JsonNode t : new ObjectMapper().readTree(list)) {
        if ("page".equals(t.path("type").asText())) {
          return new HeadlessChromium(p, t.path("webSocketDebuggerUrl").asText());
        }
      }
      throw new IllegalStateException("no page target in " + list);
    } catch (Exception e) {
      p.destroyForcibly();
      throw e;
    }
  }

  /** One DevTools command; its result, or an exception with the protocol's error. */
  JsonNode call(String method, Map<String, ?> params) throws Exception {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonNode> f = new CompletableFuture<>();
    pending.put(id, f);
    ObjectNode msg = json.createObjectNode().put("id", id).put("method", method);
    msg.set("params", json.valueToTree(params));
    socket.sendText(json.writeValueAsString(msg), true).get(30, TimeUnit.SECONDS);
    JsonNode r = f.get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    if (r.has("error")) {
      throw new IllegalStateException(method + ": " + r.get("error"));
    }
    return r.path("result");
  }

  void navigate(String url) throws Exception {
    call("Page.navigate", Map.of("url", url));
  }

  /** The value of a JavaScript expression (awaited if it is a promise), as JSON. */
  JsonNode eval(String expression) throws Exception {
    JsonNode r = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true, "awaitPromise", true));
    if (r.has("exceptionDetails")) {
      throw new IllegalStateException("evaluation failed: " + r.get("exceptionDetails"));
    }
    return r.path("result").path("value");
  }

  /** A PNG of the whole page at this width. */
  void screenshot(Path file, int width) throws Exception {
    int height = eval("document.documentElement.scrollHeight").asInt(900);
    call("Emulation.setDeviceMetricsOverride", Map.of("width", width, "height", height, "deviceScaleFactor", 1, "mobile", false));
    JsonNode shot = call("Page.captureScreenshot", Map.of("format", "png", "captureBeyondViewport", true));
    Files.write(file, Base64.getDecoder().decode(shot.path("data").asText()));
  }

  /** Console errors, uncaught exceptions and browser log errors seen so far. */
  synchronized List<String> errors() {
    return List.copyOf(errors);
  }

  private synchronized void event(JsonNode msg) {
    String method = msg.path("method").asText();
    JsonNode p = msg.path("params");
    switch (method) {
      case "Runtime.exceptionThrown" -> errors.add("exception: " + p.path("exceptionDetails"));
      case "Runtime.consoleAPICalled" -> {
        String type = p.path("type").asText();
        if (type.equals("error") || type.equals("assert")) {
          errors.add("console." + type + ": " + p.path("args"));
        }
      }
      case "Log.entryAdded" -> {
        if ("error".equals(p.path("entry").path("level").asText())) {
          errors.add("log: " + p.path("entry").path("text").asText() + " " + p.path("entry").path("url").asText(""));
        }
      }
      default -> { }
    }
  }

  @Override
  public void close() throws Exception {
    try {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // the browser is stopped below either way
    }
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }

  /** Reassembles fragmented text frames (a screenshot is megabytes) and routes replies and events. */
  private final class Listener implements WebSocket.Listener {
    private final StringBuilder buffer = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      buffer.append(data);
      if (last) {
        String text = buffer.toString();
        buffer.setLength(0);
        try {
          JsonNode msg = json.readTree(text);
          if (msg.has("id")) {
            CompletableFuture<JsonNode> f = pending.remove(msg.get("id").asInt());
            if (f != null) {
              f.complete(msg);
            }
          } else {
            event(msg);
          }
        } catch (IOException e) {
          synchronized (HeadlessChromium.this) {
            errors.add("unreadable DevTools message: " + e.getMessage());
          }
        }
      }
      ws.request(1);
      return null;
    }
  }
}
