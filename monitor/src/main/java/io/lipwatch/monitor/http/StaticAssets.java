package io.lipwatch.monitor.http;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The page's files, read from the classpath (so they work from the shaded jar): {@code /} is {@code index.html}, and
 * {@code /ui/…} the other files under {@code io/lipwatch/monitor/http/ui/}. Only plain relative names with a known
 * extension are served; no directory listing, no {@code ..}.
 */
final class StaticAssets {
  static final String ROOT = "/io/lipwatch/monitor/http/ui/";
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*(/[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*)*");
  private static final Map<String, String> TYPES = Map.of(
      "html", "text/html; charset=utf-8",
      "js", "text/javascript; charset=utf-8",
      "css", "text/css; charset=utf-8",
      "txt", "text/plain; charset=utf-8",
      "png", "image/png",
      "svg", "image/svg+xml");

  /** A file and its content type. */
  record Asset(byte[] bytes, String contentType) {}

  private StaticAssets() {}

  /** The asset at a path relative to the ui folder, e.g. {@code app.js} or {@code vendor/uplot/LICENSE}; empty if none. */
  static Optional<Asset> find(String relative) throws IOException {
    String name = relative.endsWith("/LICENSE") ? relative + ".txt" : relative; // LICENSE has no extension
    if (!SAFE.matcher(name).matches()) {
      return Optional.empty();
    }
    String ext = name.substring(name.lastIndexOf('.') + 1);
    String type = TYPES.get(ext);
    if (type == null) {
      return Optional.empty();
    }
    try (InputStream in = StaticAssets.class.getResourceAsStream(ROOT + relative)) {
      return in == null ? Optional.empty() : Optional.of(new Asset(in.readAllBytes(), type));
    }
  }
}
