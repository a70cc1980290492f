package io.lipwatch.monitor.metrics;

/** A mutable value a gauge reads; NaN means "no current value" (the series is then absent from the scrape). */
final class GaugeCell {
  private volatile double value = Double.NaN;
  /** The meter that reads this cell, so a stale series can be removed from the registry. */
  volatile io.micrometer.core.instrument.Gauge gauge;

  double get() {
    return value;
  }

  void set(double v) {
    value = v;
  }
}
