/**
 * The lifecycle every long-running part shares: {@link io.lipwatch.estimator.lifecycle.Service} (start, state, close).
 * The estimator's and the monitor's Kafka Streams services, the trainer's retraining loop and (through the CLI's
 * adapter) the embedded broker implement it; the demo starts them in order and closes them last-first.
 */
package io.lipwatch.estimator.lifecycle;
