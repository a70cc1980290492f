package io.lipwatch.monitor.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Lints grafana/dashboards/*.json (rules in {@link DashboardLint}) and the provisioning files in grafana/provisioning. */
class DashboardLintTest {
  private static final Path ROOT = DeployFiles.repoRoot();
  private static final Path DASHBOARDS = ROOT.resolve("grafana/dashboards");

  private static List<Path> dashboards() {
    List<Path> files = DeployFiles.files(DASHBOARDS, ".json");
    assertFalse(files.isEmpty(), "no dashboards in " + DASHBOARDS);
    return files;
  }

  @TestFactory
  Stream<DynamicTest> everyDashboardPassesTheLint() {
    return dashboards().stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
      List<String> problems = DashboardLint.lint(DeployFiles.readJson(f));
      assertTrue(problems.isEmpty(), f.getFileName() + ":\n  " + String.join("\n  ", problems));
    }));
  }

  @TestFactory
  Stream<DynamicTest> everyLipwatchMetricADashboardUsesIsADesignedMetric() {
    Set<String> known = MetricNames.known();
    return dashboards().stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
      List<String> unknown = new ArrayList<>();
      for (String expr : DashboardLint.expressions(DeployFiles.readJson(f))) {
        for (String name : MetricNames.used(expr)) {
          if (!known.contains(name)) {
            unknown.add(name + " in " + expr);
          }
        }
      }
      assertTrue(unknown.isEmpty(), "metrics not in MeterNames:\n  " + String.join("\n  ", unknown));
    }));
  }

  @Test
  void uidsAndTitlesAreUniqueAcrossDashboards() {
    Set<String> uids = new HashSet<>();
    Set<String> titles = new HashSet<>();
    for (Path f : dashboards()) {
      JsonNode d = DeployFiles.readJson(f);
      assertTrue(uids.add(d.path("uid").asText()), "uid repeated: " + f);
      assertTrue(titles.add(d.path("title").asText()), "title repeated: " + f);
    }
  }

  @Test
  void theThreeDashboardsExist() {
    Set<String> uids = new HashSet<>();
    for (Path f : dashboards()) {
      uids.add(DeployFiles.readJson(f).path("uid").asText());
    }
    assertTrue(uids.containsAll(Set.of("lipwatch-overview", "lipwatch-model-detail", "lipwatch-pipeline")), uids.toString());
    JsonNode detail = DeployFiles.readJson(DASHBOARDS.resolve("lipwatch-model-detail.json"));
    boolean modelVar = false;
    for (JsonNode v : detail.path("templating").path("list")) {
      modelVar |= "model".equals(v.path("name").asText()) && "query".equals(v.path("type").asText());
    }
    assertTrue(modelVar, "model detail needs a query variable 'model'");
    boolean verdictAnnotation = false;
    for (JsonNode a : detail.path("annotations").path("list")) {
      verdictAnnotation |= a.path("expr").asText().contains("lipwatch_verdict");
    }
    assertTrue(verdictAnnotation, "model detail needs an annotation from lipwatch_verdict changes");
  }

  /** Rejected versions per model and reason are on the overview and on the model detail (for $model). */
  @Test
  void rejectedVersionsAreShownPerModelAndReason() {
    for (String name : List.of("lipwatch-overview.json", "lipwatch-model-detail.json")) {
      boolean found = false;
      for (String expr : DashboardLint.expressions(DeployFiles.readJson(DASHBOARDS.resolve(name)))) {
        found |= expr.contains("lipwatch_snapshots_rejected_total")
            && (expr.contains("by (model, reason)") || expr.contains("model=\"$model\"") && expr.contains("by (reason)"));
      }
      assertTrue(found, name + ": no panel of rejected versions per model and reason");
    }
  }

  @Test
  void provisioningPointsAtPrometheusAndTheDashboards() throws Exception {
    JsonNode ds = DeployFiles.readYaml(ROOT.resolve("grafana/provisioning/datasources/prometheus.yml"));
    assertEquals(1, ds.path("apiVersion").asInt());
    JsonNode first = ds.path("datasources").path(0);
    assertEquals("prometheus", first.path("type").asText());
    assertTrue(first.path("url").asText().startsWith("http"), first.toString());

    JsonNode prov = DeployFiles.readYaml(ROOT.resolve("grafana/provisioning/dashboards/lipwatch.yml"));
    JsonNode provider = prov.path("providers").path(0);
    assertEquals("file", provider.path("type").asText());
    String path = provider.path("options").path("path").asText();
    assertFalse(path.isBlank(), "provider without options.path");
    // deploy/docker-compose.yml must mount grafana/dashboards exactly there
    String compose = Files.readString(ROOT.resolve("deploy/docker-compose.yml"));
    assertTrue(compose.contains("../grafana/dashboards:" + path), "docker-compose.yml does not mount grafana/dashboards at " + path);
  }

  @Test
  void theLintCatchesWhatItShould() throws Exception {
    JsonNode bad = DeployFiles.JSON.readTree("""
        {"title": "", "schemaVersion": 27,
         "templating": {"list": [{"name": "ds", "type": "datasource", "query": "prometheus"}]},
         "panels": [
           {"id": 1, "type": "graph", "title": "A", "datasource": {"uid": "prom"}, "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
            "targets": [{"refId": "A", "datasource": {"uid": "${datasource}"}, "expr": "rate(x_total[5m])"}]},
           {"id": 1, "type": "singlestat", "title": "A", "datasource": {"uid": "${datasource}"},
            "fieldConfig": {"defaults": {"unit": "s"}}, "gridPos": {"x": 20, "y": 0, "w": 12, "h": 8},
            "targets": [{"refId": "A", "expr": "sum(increase(y_total[$__rate_interval])) / sum(irate(z[1m]))"}]}
         ]}
        """);
    String all = String.join("\n", DashboardLint.lint(bad));
    for (String expected : List.of("no uid", "no title", "schemaVersion 27", "must be named 'datasource'",
        "no template variable 'datasource'", "type 'graph'", "type 'singlestat'", "repeats id 1", "repeats a title",
        "does not use datasource", "no fieldConfig.defaults.unit", "rate() over [5m]", "irate() over [1m]", "invalid gridPos")) {
      assertTrue(all.contains(expected), "lint did not report '" + expected + "':\n" + all);
    }
    assertFalse(all.contains("increase()"), "increase over $__rate_interval is fine:\n" + all);
    assertEquals(List.of(), DashboardLint.rateIntervals(
        "histogram_quantile(0.95, sum by (le) (rate(a_bucket{m=\"x[1]\"}[$__rate_interval])))"));
  }
}
