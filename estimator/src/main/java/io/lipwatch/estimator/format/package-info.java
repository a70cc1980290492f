/**
 * Snapshot formats: a {@link io.lipwatch.estimator.format.ModelFormat} turns verified snapshot bytes into a
 * {@link io.lipwatch.estimator.format.LoadedModel} (the engine's network and a probe classifier). The header
 * {@code lipwatch.format} picks one from {@link io.lipwatch.estimator.format.ModelFormats}; a new format is one class
 * and one line there.
 */
package io.lipwatch.estimator.format;
