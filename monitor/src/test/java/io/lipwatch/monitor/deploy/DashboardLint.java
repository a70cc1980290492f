package io.lipwatch.monitor.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lint rules for the Grafana dashboards, after grafana/dashboard-linter: recent schema, supported panel types only,
 * a {@code datasource} variable used by every panel, target, variable and annotation, a unit on every panel,
 * {@code $__rate_interval} in every rate/irate/increase, unique panel ids, titles and a uid. Returns the problems.
 */
final class DashboardLint {
  static final int MIN_SCHEMA_VERSION = 39;
  static final Set<String> PANEL_TYPES = Set.of("timeseries", "stat", "table", "bargauge");
  static final String DS = "${datasource}";
  private static final Pattern RANGE_FUNCTION = Pattern.compile("\\b(rate|irate|increase)\\s*\\(");

  private DashboardLint() {}

  static List<String> lint(JsonNode d) {
    List<String> problems = new ArrayList<>();
    if (blank(d.path("uid"))) {
      problems.add("dashboard has no uid");
    } else if (!d.path("uid").asText().matches("[A-Za-z0-9_-]{1,40}")) {
      problems.add("uid '" + d.path("uid").asText() + "' is not 1-40 characters of [A-Za-z0-9_-]");
    }
    if (blank(d.path("title"))) {
      problems.add("dashboard has no title");
    }
    if (d.path("schemaVersion").asInt(0) < MIN_SCHEMA_VERSION) {
      problems.add("schemaVersion " + d.path("schemaVersion") + " is below " + MIN_SCHEMA_VERSION);
    }

    boolean hasDsVar = false;
    for (JsonNode v : d.path("templating").path("list")) {
      String name = v.path("name").asText();
      if ("datasource".equals(v.path("type").asText())) {
        if ("datasource".equals(name) && "prometheus".equals(v.path("query").asText())) {
          hasDsVar = true;
        } else {
          problems.add("datasource variable '" + name + "' must be named 'datasource' with query 'prometheus'");
        }
      } else if ("query".equals(v.path("type").asText()) && !DS.equals(v.path("datasource").path("uid").asText())) {
        problems.add("variable '" + name + "' does not use " + DS);
      }
    }
    if (!hasDsVar) {
      problems.add("no template variable 'datasource' of type datasource (query prometheus)");
    }

    for (JsonNode a : d.path("annotations").path("list")) {
      if (a.path("builtIn").asInt(0) == 1) {
        continue;
      }
      String where = "annotation '" + a.path("name").asText() + "'";
      if (!DS.equals(a.path("datasource").path("uid").asText())) {
        problems.add(where + " does not use datasource " + DS);
      }
      String expr = a.has("expr") ? a.path("expr").asText() : a.path("target").path("expr").asText();
      rateIntervals(expr).forEach(p -> problems.add(where + ": " + p));
    }

    Set<Integer> ids = new HashSet<>();
    Set<String> titles = new HashSet<>();
    List<JsonNode> panels = new ArrayList<>();
    flatten(d.path("panels"), panels);
    if (panels.isEmpty()) {
      problems.add("dashboard has no panels");
    }
    for (JsonNode p : panels) {
      String where = "panel " + p.path("id") + " '" + p.path("title").asText() + "'";
      if (!p.path("id").canConvertToInt()) {
        problems.add(where + " has no numeric id");
      } else if (!ids.add(p.path("id").asInt())) {
        problems.add(where + " repeats id " + p.path("id").asInt());
      }
      if (blank(p.path("title"))) {
        problems.add(where + " has no title");
      } else if (!titles.add(p.path("title").asText())) {
        problems.add(where + " repeats a title");
      }
      String type = p.path("type").asText();
      if (!PANEL_TYPES.contains(type)) {
        problems.add(where + " has type '" + type + "'; allowed: " + PANEL_TYPES);
      }
      if (!DS.equals(p.path("datasource").path("uid").asText())) {
        problems.add(where + " does not use datasource " + DS);
      }
      if (blank(p.path("fieldConfig").path("defaults").path("unit"))) {
        problems.add(where + " has no fieldConfig.defaults.unit");
      }
      JsonNode g = p.path("gridPos");
      if (g.path("w").asInt(0) <= 0 || g.path("h").asInt(0) <= 0 || g.path("x").asInt(0) + g.path("w").asInt(0) > 24) {
        problems.add(where + " has an invalid gridPos " + g);
      }
      JsonNode targets = p.path("targets");
      if (!targets.isArray() || targets.isEmpty()) {
        problems.add(where + " has no targets");
      }
      Set<String> refIds = new HashSet<>();
      for (JsonNode t : targets) {
        String tw = where + " target " + t.path("refId").asText();
        if (blank(t.path("refId")) || !refIds.add(t.path("refId").asText())) {
          problems.add(tw + ": missing or repeated refId");
        }
        if (!DS.equals(t.path("datasource").path("uid").asText())) {
          problems.add(tw + " does not use datasource " + DS);
        }
        if (blank(t.path("expr"))) {
          problems.add(tw + " has no expr");
        }
        rateIntervals(t.path("expr").asText()).forEach(x -> problems.add(tw + ": " + x));
      }
    }
    return problems;
  }

  /** Every PromQL expression of a dashboard: panel targets, query variables, annotations. */
  static List<String> expressions(JsonNode d) {
    List<String> out = new ArrayList<>();
    List<JsonNode> panels = new ArrayList<>();
    flatten(d.path("panels"), panels);
    for (JsonNode p : panels) {
      for (JsonNode t : p.path("targets")) {
        if (!blank(t.path("expr"))) {
          out.add(t.path("expr").asText());
        }
      }
    }
    for (JsonNode a : d.path("annotations").path("list")) {
      if (!blank(a.path("expr"))) {
        out.add(a.path("expr").asText());
      }
    }
    return out;
  }

  /** Problems with the range of every rate(), irate() and increase() of a PromQL expression. */
  static List<String> rateIntervals(String expr) {
    List<String> problems = new ArrayList<>();
    Matcher m = RANGE_FUNCTION.matcher(expr);
    while (m.find()) {
      int open = m.end() - 1;
      int close = matching(expr, open);
      if (close < 0) {
        problems.add("unbalanced parentheses after " + m.group(1) + " in: " + expr);
        continue;
      }
      String arg = expr.substring(open + 1, close);
      int lb = arg.lastIndexOf('[');
      int rb = arg.lastIndexOf(']');
      String range = lb >= 0 && rb > lb ? arg.substring(lb + 1, rb).trim() : "";
      if (!"$__rate_interval".equals(range)) {
        problems.add(m.group(1) + "() over [" + range + "] instead of [$__rate_interval] in: " + expr);
      }
    }
    return problems;
  }

  private static int matching(String s, int open) {
    int depth = 0;
    for (int i = open; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')' && --depth == 0) {
        return i;
      }
    }
    return -1;
  }

  private static void flatten(JsonNode panels, List<JsonNode> out) {
    for (JsonNode p : panels) {
      out.add(p);
      if (p.has("panels")) {
        flatten(p.path("panels"), out);
      }
    }
  }

  private static boolean blank(JsonNode n) {
    return n == null || n.isMissingNode() || n.isNull() || n.asText().isBlank();
  }
}
