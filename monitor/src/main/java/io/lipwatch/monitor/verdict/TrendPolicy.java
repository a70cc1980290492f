package io.lipwatch.monitor.verdict;

/**
 * The trend check: a least-squares line through bestUpper and each robust/certified accuracy over the last
 * {@code versions} estimated versions (x = version number); WARN when the line, carried {@code horizon} versions past
 * the current one, has moved by a FAIL-level step (the step FAIL thresholds of {@link Policy}) from its value at the
 * current version. It only warns: a projection is a forecast, not a measured regression.
 *
 * @param enabled  off by default (see {@link #defaults()})
 * @param versions how many versions the line is fitted to (the current one included); fewer than 4 estimated: no check
 * @param horizon  how many versions ahead the line is carried
 */
public record TrendPolicy(boolean enabled, int versions, int horizon) {
  public static final int MIN_POINTS = 4;

  /**
   * Off by default, measured in DriftNoiseTest (demo-like probe noise, 256 samples probed on every version): it fired on
   * 0.2 % of a stable model's versions (6.9 % with samples drawn afresh) and moved the first drift WARN of the ×1.06
   * slide only from v3.8 to v3.7 on average; on a recorded demo run it never fired. 8 versions, 5 ahead when on.
   */
  public static TrendPolicy defaults() {
    return new TrendPolicy(false, 8, 5);
  }
}
