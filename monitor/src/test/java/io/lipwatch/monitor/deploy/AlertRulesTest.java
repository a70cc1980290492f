package io.lipwatch.monitor.deploy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Structure of deploy/prometheus/rules: every alert has {@code for}, a severity, summary, description and a runbook
 * section in deploy/RUNBOOK.md; uses only designed lipwatch metrics and no Grafana-only variables; and has promtool
 * unit tests in deploy/prometheus/tests for both a firing and a silent case.
 */
class AlertRulesTest {
  private static final Path ROOT = DeployFiles.repoRoot();
  private static final Path PROM = ROOT.resolve("deploy/prometheus");

  private static List<JsonNode> rules() {
    List<JsonNode> out = new ArrayList<>();
    for (Path f : DeployFiles.files(PROM.resolve("rules"), ".yml")) {
      for (JsonNode g : DeployFiles.readYaml(f).path("groups")) {
        g.path("rules").forEach(out::add);
      }
    }
    assertFalse(out.isEmpty(), "no rules");
    return out;
  }

  private static List<JsonNode> alerts() {
    return rules().stream().filter(r -> r.has("alert")).toList();
  }

  @Test
  void theDesignedAlertsExist() {
    Set<String> names = new HashSet<>();
    alerts().forEach(a -> names.add(a.path("alert").asText()));
    assertTrue(names.containsAll(Set.of("LipwatchRobustnessRegression", "LipwatchVerdictFail", "LipwatchBoundGapWidening",
        "LipwatchEstimatorStalled", "LipwatchConsumerLagging", "LipwatchDlqGrowing", "LipwatchTrainerStalled",
        "LipwatchModelDiverged")), names.toString());
  }

  @Test
  void everyAlertHasForSeverityAnnotationsAndARunbookSection() throws Exception {
    String runbook = Files.readString(ROOT.resolve("deploy/RUNBOOK.md"));
    List<String> problems = new ArrayList<>();
    for (JsonNode a : alerts()) {
      String name = a.path("alert").asText();
      if (a.path("for").asText().isBlank()) {
        problems.add(name + ": no for:");
      }
      if (!Set.of("critical", "warning", "info").contains(a.path("labels").path("severity").asText())) {
        problems.add(name + ": severity label must be critical, warning or info");
      }
      for (String k : List.of("summary", "description", "runbook_url")) {
        if (a.path("annotations").path(k).asText().isBlank()) {
          problems.add(name + ": no " + k + " annotation");
        }
      }
      String url = a.path("annotations").path("runbook_url").asText();
      if (!url.endsWith("RUNBOOK.md#" + name.toLowerCase(Locale.ROOT))) {
        problems.add(name + ": runbook_url " + url + " should end with RUNBOOK.md#" + name.toLowerCase(Locale.ROOT));
      }
      if (!runbook.contains("\n## " + name + "\n")) {
        problems.add(name + ": no '## " + name + "' section in deploy/RUNBOOK.md");
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void rulesUseDesignedMetricsAndNoGrafanaVariables() {
    Set<String> known = MetricNames.known();
    List<String> problems = new ArrayList<>();
    for (JsonNode r : rules()) {
      String expr = r.path("expr").asText();
      String name = r.has("alert") ? r.path("alert").asText() : r.path("record").asText();
      if (expr.contains("$__")) {
        problems.add(name + ": Grafana variable in a Prometheus rule: " + expr);
      }
      for (String m : MetricNames.used(expr)) {
        if (!known.contains(m)) {
          problems.add(name + ": " + m + " is not a lipwatch metric of MeterNames");
        }
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void everyAlertHasAFiringAndASilentUnitTest() {
    Set<String> firing = new HashSet<>();
    Set<String> silent = new HashSet<>();
    for (Path f : DeployFiles.files(PROM.resolve("tests"), ".test.yml")) {
      for (JsonNode t : DeployFiles.readYaml(f).path("tests")) {
        for (JsonNode c : t.path("alert_rule_test")) {
          String name = c.path("alertname").asText();
          (c.path("exp_alerts").isEmpty() ? silent : firing).add(name);
        }
      }
    }
    List<String> problems = new ArrayList<>();
    for (JsonNode a : alerts()) {
      String name = a.path("alert").asText();
      if (!firing.contains(name)) {
        problems.add(name + ": no promtool test where it fires");
      }
      if (!silent.contains(name)) {
        problems.add(name + ": no promtool test where it stays silent");
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }
}
