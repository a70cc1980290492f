/** Robustness metrics of design section 8 as a Micrometer binder, with bounded label sets. */
package io.lipwatch.monitor.metrics;
