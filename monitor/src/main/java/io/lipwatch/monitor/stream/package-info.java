/** The monitor as a Kafka Streams app: estimates and DLQ records into metrics and per-model history. */
package io.lipwatch.monitor.stream;
