#!/usr/bin/env python3
"""Moves a consumer group's committed offsets, for replaying topics into a rebuilt service
(docs/operations.md, "Replaying a topic into a rebuilt service").

On a real Kafka cluster `kafka-consumer-groups.sh --reset-offsets` does the same; this
script is for where the Kafka tools are not at hand, such as the local stack's Tansu broker.
It uses the PyPI package confluent-kafka (librdkafka inside), installed on demand by the
operator: `python3 -m pip install confluent-kafka`.

    scripts/reset-offsets.py --group styrbord-notifications --to-earliest            # show the plan
    scripts/reset-offsets.py --group styrbord-notifications --to-earliest --execute  # do it
    scripts/reset-offsets.py --group styrbord-analysis --to-datetime 2026-11-26T03:00:00Z --execute

Without --topic it resets every topic the group has committed offsets on (its inputs).
Stop every instance of the service first: offsets of a group with members are refused.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap-server", default=os.environ.get("STYRBORD_KAFKA_BROKERS", "127.0.0.1:59092"),
                        help="brokers (default: $STYRBORD_KAFKA_BROKERS or the local stack)")
    parser.add_argument("--group", required=True, help="consumer group, styrbord-<service>")
    parser.add_argument("--topic", action="append", help="a topic to reset (repeatable; default: the group's topics)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--to-earliest", action="store_true", help="the oldest record still kept")
    where.add_argument("--to-datetime", help="the first record at or after this ISO 8601 time")
    parser.add_argument("--execute", action="store_true", help="commit the new offsets (without: only show them)")
    return parser.parse_args()


def main() -> int:
    arguments = parse_arguments()
    try:
        from confluent_kafka import Consumer, KafkaException, TopicPartition
        from confluent_kafka.admin import AdminClient
    except ImportError:
        print("error: needs the PyPI package confluent-kafka (python3 -m pip install confluent-kafka)", file=sys.stderr)
        return 2

    settings = {"bootstrap.servers": arguments.bootstrap_server}
    admin = AdminClient(settings)
    description = admin.describe_consumer_groups([arguments.group])[arguments.group].result(timeout=15)
    if description.members:
        print(f"error: group {arguments.group} has {len(description.members)} active member(s); stop the service first",
              file=sys.stderr)
        return 1

    consumer = Consumer(settings | {"group.id": arguments.group, "enable.auto.commit": False})
    try:
        topics = arguments.topic
        if not topics:
            committed = admin.list_consumer_group_offsets(
                [_group_request(arguments.group)])[arguments.group].result(timeout=15)
            topics = sorted({tp.topic for tp in committed.topic_partitions})
            if not topics:
                print(f"error: group {arguments.group} has no committed offsets; name the topics with --topic",
                      file=sys.stderr)
                return 1
        metadata = consumer.list_topics(timeout=15)
        partitions = [TopicPartition(topic, p) for topic in topics for p in sorted(metadata.topics[topic].partitions)]
        current = {(tp.topic, tp.partition): tp.offset for tp in consumer.committed(partitions, timeout=15)}
        if arguments.to_earliest:
            targets = [TopicPartition(tp.topic, tp.partition, consumer.get_watermark_offsets(tp, timeout=15)[0])
                       for tp in partitions]
        else:
            moment = datetime.datetime.fromisoformat(arguments.to_datetime.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=datetime.timezone.utc)
            milliseconds = int(moment.timestamp() * 1000)
            found = consumer.offsets_for_times([TopicPartition(tp.topic, tp.partition, milliseconds) for tp in partitions],
                                               timeout=15)
            # No record at or after the time: the end of the partition.
            targets = [tp if tp.offset >= 0 else TopicPartition(tp.topic, tp.partition,
                                                                 consumer.get_watermark_offsets(tp, timeout=15)[1])
                       for tp in found]
        print(f"{'topic':40} {'partition':>9} {'committed':>10} {'new':>10}")
        for tp in targets:
            print(f"{tp.topic:40} {tp.partition:>9} {current.get((tp.topic, tp.partition), -1):>10} {tp.offset:>10}")
        if not arguments.execute:
            print("(plan only: add --execute to commit)")
            return 0
        consumer.commit(offsets=targets, asynchronous=False)
        print(f"committed {len(targets)} offsets for group {arguments.group}")
        return 0
    except KafkaException as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        consumer.close()


def _group_request(group: str):
    from confluent_kafka import ConsumerGroupTopicPartitions

    return ConsumerGroupTopicPartitions(group)


if __name__ == "__main__":
    sys.exit(main())
