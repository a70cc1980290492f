package io.lipwatch.estimator.bench;

import java.util.Arrays;
import java.util.Locale;

/** Repeated measurements of one quantity: median and spread (min–max), never a single run on a shared machine. */
public record Repeats(double[] values) {
  public Repeats {
    values = values.clone();
  }

  public double median() {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    if (n == 0) {
      return Double.NaN;
    }
    return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  }

  public double min() {
    return Arrays.stream(values).min().orElse(Double.NaN);
  }

  public double max() {
    return Arrays.stream(values).max().orElse(Double.NaN);
  }

  /** Per-repeat ratio this[i] / other[i] (repeats are interleaved, so pairs share the machine's load). */
  public Repeats over(Repeats other) {
    int n = Math.min(values.length, other.values.length);
    double[] r = new double[n];
    for (int i = 0; i < n; i++) {
      r[i] = values[i] / other.values[i];
    }
    return new Repeats(r);
  }

  /** "median (min–max)" of seconds, in ms below 1 s. */
  public String seconds() {
    return time(median()) + " (" + time(min()) + "–" + time(max()) + ")";
  }

  /** "median× (min–max)". */
  public String ratio() {
    return String.format(Locale.ROOT, "%.2f× (%.2f–%.2f)", median(), min(), max());
  }

  static String time(double s) {
    if (Double.isNaN(s)) {
      return "n/a";
    }
    return s < 1 ? String.format(Locale.ROOT, "%.1f ms", s * 1000) : String.format(Locale.ROOT, "%.2f s", s);
  }
}
