package io.lipwatch.monitor.verdict;

/**
 * Thresholds against the reference version (slow drift), looser than the step thresholds because the reference may be
 * many versions back; and the window the reference is chosen from when none is pinned. A null threshold disables that
 * level; a null window bound removes that bound.
 *
 * @param upperGrowthWarn     bestUpper ratio (current / reference) at which the version warns
 * @param upperGrowthFail     … at which it fails
 * @param robustDropWarn      drop of robust accuracy (absolute) for any attack both versions report
 * @param robustDropFail      …
 * @param certifiedDropWarn   drop of certified accuracy for any ε both report
 * @param certifiedDropFail   …
 * @param cleanDropWarn       drop of clean accuracy
 * @param cleanDropFail       …
 * @param windowVersions      the reference is a PASS among the last this-many versions before the current one
 * @param windowDays          … estimated at most this many days before the current one
 */
public record ReferencePolicy(Double upperGrowthWarn, Double upperGrowthFail, Double robustDropWarn, Double robustDropFail,
    Double certifiedDropWarn, Double certifiedDropFail, Double cleanDropWarn, Double cleanDropFail, Integer windowVersions,
    Double windowDays) {

  /**
   * Defaults: bestUpper ×1.20 warns, ×1.40 fails; robust or certified accuracy −5 points warns, −10 fails; clean −3 / −6
   * (on 256 probe samples clean accuracy moves about a point between versions of a stable model; −2 warned on 3.9 % of
   * such versions in DriftNoiseTest).
   * A model whose bound grows 6 % and whose robust accuracy drops 1.5 points per version, each step within the step
   * thresholds, warns by its 5th version (×1.26, −6 points) and fails by its 8th (×1.50, −10.5 points). Window: the
   * last 20 versions and 30 days.
   */
  public static ReferencePolicy defaults() {
    return new ReferencePolicy(1.20, 1.40, 0.05, 0.10, 0.05, 0.10, 0.03, 0.06, 20, 30.0);
  }
}
