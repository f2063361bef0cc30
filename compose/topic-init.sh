#!/usr/bin/env bash
# Compose's topic init step: the four event topics and a dead-letter topic per service,
# created before any service starts (the services would create them too, but a topic
# made on purpose has the partitions and settings chosen here). Idempotent.
set -euo pipefail
BOOTSTRAP="${KAFKA_BOOTSTRAP:-kafka:9092}"
PARTITIONS="${STYRBORD_TOPIC_PARTITIONS:-6}"
TOPICS=(
  styrbord.intake.events.v1
  styrbord.analysis.events.v1
  styrbord.prioritisation.events.v1
  styrbord.benefits.events.v1
  styrbord.dlq.intake
  styrbord.dlq.analysis
  styrbord.dlq.prioritisation
  styrbord.dlq.benefits
  styrbord.dlq.notifications
)
for topic in "${TOPICS[@]}"; do
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
    --topic "$topic" --partitions "$PARTITIONS" --replication-factor 1 \
    --config min.insync.replicas=1
done
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --describe --topic 'styrbord\..*' | grep -c PartitionCount \
  | xargs -I{} echo "[topic-init] {} topics ready on $BOOTSTRAP"
