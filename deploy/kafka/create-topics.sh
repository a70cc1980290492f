#!/bin/sh
# Creates the lipwatch topics with the configs of Topics.java (design section 3), idempotently: the services
# themselves do not create topics, and Kafka Streams needs its source topics before it starts. Runs in the
# apache/kafka image (docker-compose service kafka-init); the Kubernetes Job deploy/k8s/base/topics-job.yaml runs
# the same commands. Environment: BOOTSTRAP (kafka:9092), PARTITIONS (3), REPLICATION (1).
set -eu
B="${BOOTSTRAP:-kafka:9092}"
P="${PARTITIONS:-3}"
R="${REPLICATION:-1}"
T=/opt/kafka/bin/kafka-topics.sh

tries=0
until "$T" --bootstrap-server "$B" --list >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then echo "create-topics: Kafka at $B not reachable" >&2; exit 1; fi
  sleep 2
done

create() {
  name=$1; parts=$2; shift 2
  "$T" --bootstrap-server "$B" --create --if-not-exists --topic "$name" --partitions "$parts" --replication-factor "$R" "$@"
}
create lipwatch.snapshots "$P" --config compression.type=zstd --config max.message.bytes=9437184 --config retention.ms=604800000
create lipwatch.probesets 1 --config cleanup.policy=compact --config compression.type=zstd --config max.message.bytes=33554432
create lipwatch.estimates "$P" --config compression.type=zstd
create lipwatch.snapshots.dlq "$P" --config compression.type=zstd
create lipwatch.verdicts "$P" --config compression.type=zstd
create lipwatch.baselines "$P" --config cleanup.policy=compact --config compression.type=zstd
"$T" --bootstrap-server "$B" --list
