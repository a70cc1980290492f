/**
 * Regression verdicts: a {@link io.lipwatch.monitor.verdict.Policy} of thresholds, the per-version summary the monitor
 * keeps, the {@link io.lipwatch.monitor.verdict.Baselines} a version is judged against (step baseline: the last PASS or
 * the pinned version; reference: the pinned version or the best PASS of a window; recent versions for the trend) and
 * the PASS/WARN/FAIL decision.
 */
package io.lipwatch.monitor.verdict;
