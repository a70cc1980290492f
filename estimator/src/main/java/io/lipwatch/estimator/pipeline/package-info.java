/**
 * The estimate pipeline: snapshot bytes and headers → verified zip → restored model → bounds (the engine) → probes →
 * one {@link io.lipwatch.estimator.estimate.Estimate}. The stream processor, {@code lipwatch estimate}, the reproduce
 * tables and the benchmarks all go through {@link io.lipwatch.estimator.pipeline.EstimatePipeline}; nothing else
 * assembles an estimate record.
 */
package io.lipwatch.estimator.pipeline;
