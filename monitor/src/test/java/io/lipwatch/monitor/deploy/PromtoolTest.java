package io.lipwatch.monitor.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import com.fasterxml.jackson.databind.JsonNode;
import io.lipwatch.estimator.testing.Required;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real promtool (Debian package {@code prometheus}, installed by {@code ./lipwatch test}) on deploy/prometheus:
 * {@code check config} on every configuration, {@code check rules}, {@code test rules} (the alert unit tests), and a
 * syntax check of every PromQL expression of the Grafana dashboards. Without promtool these fail under CI=true and
 * are skipped otherwise ({@link Required}).
 */
class PromtoolTest {
  private static final Path ROOT = DeployFiles.repoRoot();
  private static final Path PROM = ROOT.resolve("deploy/prometheus");
  private static final Duration TIMEOUT = Duration.ofMinutes(2);

  @BeforeEach
  void requirePromtool() {
    Required.tool("promtool", "prometheus");
  }

  private static void promtool(Path dir, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("promtool");
    cmd.addAll(List.of(args));
    DeployFiles.Result r = DeployFiles.run(dir, TIMEOUT, cmd);
    assertEquals(0, r.exitCode(), String.join(" ", cmd) + " failed:\n" + r.output());
  }

  @TestFactory
  Stream<DynamicTest> checkConfig() {
    List<Path> configs = DeployFiles.files(PROM, ".yml").stream()
        .filter(p -> p.getParent().equals(PROM) && p.getFileName().toString().startsWith("prometheus")).toList();
    assertFalse(configs.isEmpty(), "no prometheus*.yml in " + PROM);
    return configs.stream().map(c -> DynamicTest.dynamicTest(c.getFileName().toString(),
        () -> promtool(PROM, "check", "config", c.getFileName().toString())));
  }

  @Test
  void checkRules() {
    List<String> args = new ArrayList<>(List.of("check", "rules"));
    DeployFiles.files(PROM.resolve("rules"), ".yml").forEach(p -> args.add(PROM.relativize(p).toString()));
    assertFalse(args.size() == 2, "no rule files");
    promtool(PROM, args.toArray(String[]::new));
  }

  @Test
  void testRules() {
    List<String> args = new ArrayList<>(List.of("test", "rules"));
    DeployFiles.files(PROM.resolve("tests"), ".test.yml").forEach(p -> args.add(PROM.relativize(p).toString()));
    assertFalse(args.size() == 2, "no rule unit tests");
    promtool(PROM, args.toArray(String[]::new));
  }

  /** Every dashboard expression, with Grafana's variables replaced, must parse as PromQL (as a recording rule). */
  @Test
  void dashboardQueriesAreValidPromQl(@TempDir Path tmp) throws Exception {
    Map<String, String> vars = Map.of("$__rate_interval", "1m", "$__interval", "1m", "$__range", "1h",
        "${datasource}", "x", "$model", "some-model");
    StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard-queries\n    rules:\n");
    int n = 0;
    for (Path f : DeployFiles.files(ROOT.resolve("grafana/dashboards"), ".json")) {
      JsonNode d = DeployFiles.readJson(f);
      for (String expr : DashboardLint.expressions(d)) {
        String e = expr;
        for (var v : vars.entrySet()) {
          e = e.replace(v.getKey(), v.getValue());
        }
        rules.append("      - record: lipwatch_lint:query_").append(++n).append("\n        expr: ")
            .append(DeployFiles.JSON.writeValueAsString(e + " ")).append("  # ").append(f.getFileName()).append('\n');
      }
    }
    assertFalse(n == 0, "no dashboard expressions found");
    Path file = tmp.resolve("dashboard-queries.yml");
    Files.writeString(file, rules);
    promtool(tmp, "check", "rules", file.getFileName().toString());
  }
}
