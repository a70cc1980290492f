package io.lipwatch.monitor.verdict;

import java.util.List;

/**
 * Least-squares line through values at x = 0, 1, …, n−1 (the version index: gaps and rejected versions do not stretch
 * it), evaluated at the last point and {@code horizon} points past it.
 */
record TrendLine(double slope, double atLast, int points) {

  /** The line through the values, or null with fewer than {@code minPoints} values. */
  static TrendLine fit(List<Double> values, int minPoints) {
    int n = values.size();
    if (n < Math.max(2, minPoints)) {
      return null;
    }
    double mx = (n - 1) / 2.0;
    double my = 0;
    for (double y : values) {
      my += y;
    }
    my /= n;
    double sxy = 0;
    double sxx = 0;
    for (int i = 0; i < n; i++) {
      sxy += (i - mx) * (values.get(i) - my);
      sxx += (i - mx) * (i - mx);
    }
    double slope = sxy / sxx;
    return new TrendLine(slope, my + slope * (n - 1 - mx), n);
  }

  double ahead(int horizon) {
    return atLast + slope * horizon;
  }
}
