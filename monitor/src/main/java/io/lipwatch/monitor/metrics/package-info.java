/** Robustness metrics as a Micrometer binder, with bounded label sets (untrusted text never becomes a label). */
package io.lipwatch.monitor.metrics;
