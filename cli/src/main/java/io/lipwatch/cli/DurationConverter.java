package io.lipwatch.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Parses durations like {@code 90s}, {@code 4m}, {@code 1h30m}, {@code 500ms} or ISO-8601 {@code PT4M}. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  public static Duration parse(String value) {
    String v = value.trim().toLowerCase();
    if (v.startsWith("pt") || v.startsWith("p")) {
      return Duration.parse(value.trim().toUpperCase());
    }
    Matcher m = PART.matcher(v);
    int pos = 0;
    double ms = 0;
    while (m.find() && m.start() == pos) {
      double n = Double.parseDouble(m.group(1));
      ms += n * switch (m.group(2)) {
        case "ms" -> 1;
        case "s" -> 1000;
        case "m" -> 60_000;
        case "h" -> 3_600_000;
        default -> 86_400_000;
      };
      pos = m.end();
    }
    if (pos == 0 || pos != v.length()) {
      throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (examples: 90s, 4m, 1h30m, 500ms)");
    }
    return Duration.ofMillis((long) ms);
  }
}
