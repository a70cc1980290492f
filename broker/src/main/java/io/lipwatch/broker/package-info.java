/** The embedded Apache Kafka broker (KRaft, one node, from Kafka's own jars) for the demo, the broker verb and tests. */
package io.lipwatch.broker;
