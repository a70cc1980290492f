/**
 * Kafka side of the estimator: the typed topic registry ({@link io.lipwatch.estimator.stream.Topics}), small named
 * serdes, topic creation, and the estimator topology (snapshots → estimates | DLQ) run as a Kafka Streams service
 * with exactly-once processing.
 */
package io.lipwatch.estimator.stream;
