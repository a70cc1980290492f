#!/bin/sh
# Creates the lipwatch topics with the configs of Topics.java, idempotently: the services
# themselves do not create topics, and Kafka Streams needs its source topics before it starts. Runs in the
# apache/kafka image (docker-compose service kafka-init); the Kubernetes Job deploy/k8s/base/topics-job.yaml runs
# the same commands. Environment: BOOTSTRAP (kafka:9092), PARTITIONS (3), REPLICATION (1), COMMAND_CONFIG (a client
# properties file for a secured cluster, e.g. deploy/kafka/client-sasl-ssl.properties; default none),
# KAFKA_TOPICS (/opt/kafka/bin/kafka-topics.sh).
set -eu
B="${BOOTSTRAP:-kafka:9092}"
P="${PARTITIONS:-3}"
R="${REPLICATION:-1}"
C="${COMMAND_CONFIG:-}"
T="${KAFKA_TOPICS:-/opt/kafka/bin/kafka-topics.sh}"

topics() {
  if [ -n "$C" ]; then
    "$T" --bootstrap-server "$B" --command-config "$C" "$@"
  else
    "$T" --bootstrap-server "$B" "$@"
  fi
}

tries=0
until topics --list >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then echo "create-topics: Kafka at $B not reachable" >&2; exit 1; fi
  sleep 2
done

create() {
  name=$1; parts=$2; shift 2
  topics --create --if-not-exists --topic "$name" --partitions "$parts" --replication-factor "$R" "$@"
}
create lipwatch.snapshots "$P" --config compression.type=zstd --config max.message.bytes=9437184 --config retention.ms=604800000
create lipwatch.probesets 1 --config cleanup.policy=compact --config compression.type=zstd --config max.message.bytes=33554432
create lipwatch.estimates "$P" --config compression.type=zstd
create lipwatch.snapshots.dlq "$P" --config compression.type=zstd
create lipwatch.verdicts "$P" --config compression.type=zstd
create lipwatch.baselines "$P" --config cleanup.policy=compact --config compression.type=zstd
topics --list
