/**
 * Regression verdicts: a {@link io.lipwatch.monitor.verdict.Policy} of thresholds, the per-version summary the monitor
 * keeps, and the PASS/WARN/FAIL decision against the baseline (the last passing version, or a pinned one).
 */
package io.lipwatch.monitor.verdict;
