package io.lipwatch.monitor.deploy;

import io.lipwatch.estimator.metrics.MeterNames;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Prometheus names lipwatch exports, derived from {@link MeterNames} (the design-section-8 contract): a meter
 * {@code lipwatch.a.b} is {@code lipwatch_a_b}, plus Micrometer's suffixes for counters, timers and summaries.
 */
final class MetricNames {
  private static final String[] SUFFIXES = {"", "_total", "_seconds", "_seconds_bucket", "_seconds_sum", "_seconds_count",
      "_seconds_max", "_bucket", "_sum", "_count", "_max"};
  /** lipwatch_... not preceded by a name character or ':' (recording rules are lipwatch:...). */
  private static final Pattern USE = Pattern.compile("(?<![A-Za-z0-9_:])lipwatch_[a-z0-9_]+");

  private MetricNames() {}

  static Set<String> known() {
    Set<String> out = new TreeSet<>();
    for (Field f : MeterNames.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        try {
          String v = (String) f.get(null);
          if (v.startsWith("lipwatch.") && !v.endsWith(".")) {
            String base = v.replace('.', '_');
            for (String s : SUFFIXES) {
              out.add(base + s);
            }
          }
        } catch (IllegalAccessException e) {
          throw new AssertionError(e);
        }
      }
    }
    return out;
  }

  /** lipwatch metric names used in a PromQL expression. */
  static Set<String> used(String expr) {
    Set<String> out = new TreeSet<>();
    Matcher m = USE.matcher(expr);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }
}
