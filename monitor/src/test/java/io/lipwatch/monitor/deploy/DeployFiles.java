package io.lipwatch.monitor.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Shared helpers of the deploy/ and grafana/ tests: the repository root, YAML/JSON reading, external tools. */
final class DeployFiles {
  static final ObjectMapper JSON = new ObjectMapper();
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private DeployFiles() {}

  /** The repository root: the first directory, walking up from the working directory, that holds {@code grafana/}. */
  static Path repoRoot() {
    Path dir = Path.of("").toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("grafana")) && Files.isDirectory(p.resolve("deploy"))) {
        return p;
      }
    }
    throw new IllegalStateException("no directory with grafana/ and deploy/ above " + dir);
  }

  static List<Path> files(Path dir, String suffix) {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode readJson(Path p) {
    try {
      return JSON.readTree(p.toFile());
    } catch (IOException e) {
      throw new AssertionError(p + " is not valid JSON: " + e.getMessage(), e);
    }
  }

  static JsonNode readYaml(Path p) {
    List<JsonNode> docs = readYamlDocuments(p);
    if (docs.size() != 1) {
      throw new AssertionError(p + ": expected one YAML document, found " + docs.size());
    }
    return docs.get(0);
  }

  /** Every document of a (possibly multi-document) YAML file; empty documents are skipped. */
  static List<JsonNode> readYamlDocuments(Path p) {
    try (YAMLParser parser = ((YAMLFactory) YAML.getFactory()).createParser(p.toFile())) {
      List<JsonNode> out = new ArrayList<>();
      var it = YAML.readValues(parser, JsonNode.class);
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && !n.isNull() && !n.isMissingNode()) {
          out.add(n);
        }
      }
      return out;
    } catch (IOException e) {
      throw new AssertionError(p + " is not valid YAML: " + e.getMessage(), e);
    }
  }

  record Result(int exitCode, String output) {}

  /**
   * Runs a command in {@code dir} with stdout and stderr merged into a file (no pipe to drain), waiting at most
   * {@code timeout}; a command still running then is killed and the test fails.
   */
  static Result run(Path dir, Duration timeout, List<String> command) {
    try {
      Path out = Files.createTempFile("lipwatch-deploy-", ".log");
      try {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
            .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
          p.waitFor(10, TimeUnit.SECONDS);
          throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout + ":\n"
              + Files.readString(out, StandardCharsets.UTF_8));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
