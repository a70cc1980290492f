/** Meter names (one place for all of lipwatch) and the estimator's own Micrometer binder. */
package io.lipwatch.estimator.metrics;
