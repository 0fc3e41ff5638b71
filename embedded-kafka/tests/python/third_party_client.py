"""A third-party client against embedded-kafka: the Python confluent-kafka client.

Usage: python3 third_party_client.py BOOTSTRAP_SERVERS

Creates a topic through the admin API, produces plain records, commits one
transaction and aborts another, then checks that a read_committed consumer sees
exactly the plain and committed records while a read_uncommitted one sees all of
them, and that a consumer group commits and fetches its offsets. Every wait is
bounded; any failure exits non-zero with a message saying what was expected.
"""

import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

DEADLINE_SECONDS = 60
PARTITIONS = 3


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def create_topic(bootstrap, topic):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    futures[topic].result(timeout=DEADLINE_SECONDS)
    metadata = admin.list_topics(topic, timeout=DEADLINE_SECONDS)
    check(len(metadata.topics[topic].partitions) == PARTITIONS,
          f"topic {topic} should have {PARTITIONS} partitions")


def produce_plain(bootstrap, topic, count):
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for i in range(count):
        producer.produce(topic, key=f"key-{i}", value=f"plain-{i}")
    remaining = producer.flush(DEADLINE_SECONDS)
    check(remaining == 0, f"{remaining} plain records were not acknowledged")


def produce_transactions(bootstrap, topic, count):
    producer = Producer({
        "bootstrap.servers": bootstrap,
        "transactional.id": f"python-{uuid.uuid4()}",
    })
    producer.init_transactions(DEADLINE_SECONDS)
    producer.begin_transaction()
    for i in range(count):
        producer.produce(topic, key=f"key-{i}", value=f"committed-{i}")
    producer.commit_transaction(DEADLINE_SECONDS)
    producer.begin_transaction()
    for i in range(count):
        producer.produce(topic, key=f"key-{i}", value=f"aborted-{i}")
    producer.flush(DEADLINE_SECONDS)
    producer.abort_transaction(DEADLINE_SECONDS)


def consume_all(bootstrap, topic, isolation, expected, group):
    """Reads the topic from the start until `expected` records arrived and every
    partition is at its end; returns the values read."""
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": isolation,
    })
    consumer.subscribe([topic])
    values = []
    deadline = time.monotonic() + DEADLINE_SECONDS
    while len(values) < expected and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is None:
            continue
        if message.error():
            raise KafkaException(message.error())
        values.append(message.value().decode())
    check(len(values) >= expected,
          f"{isolation}: read {len(values)} of {expected} records within {DEADLINE_SECONDS} s")
    # Nothing beyond what was expected may arrive: drain briefly to the end.
    for message in iter(lambda: consumer.poll(1.0), None):
        if not message.error():
            values.append(message.value().decode())
    consumer.commit(asynchronous=False)
    committed = consumer.committed(
        [TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=DEADLINE_SECONDS)
    total = sum(tp.offset for tp in committed if tp.offset >= 0)
    check(total > 0, f"{isolation}: the group {group} committed no offsets")
    consumer.close()
    return values


def main():
    bootstrap = sys.argv[1]
    topic = f"python-client-{uuid.uuid4().hex[:8]}"
    plain, transactional = 10, 5
    create_topic(bootstrap, topic)
    produce_plain(bootstrap, topic, plain)
    produce_transactions(bootstrap, topic, transactional)

    committed = consume_all(bootstrap, topic, "read_committed", plain + transactional,
                            f"{topic}-committed")
    check(not any(v.startswith("aborted") for v in committed),
          f"read_committed saw aborted records: {sorted(committed)}")
    check(len(committed) == plain + transactional,
          f"read_committed should see {plain + transactional} records, saw {sorted(committed)}")

    everything = consume_all(bootstrap, topic, "read_uncommitted", plain + 2 * transactional,
                             f"{topic}-uncommitted")
    check(len(everything) == plain + 2 * transactional,
          f"read_uncommitted should see {plain + 2 * transactional} records, saw {sorted(everything)}")
    print("confluent-kafka: 1 passed, 0 failed")


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # report any failure as one clear line
        print(f"confluent-kafka against embedded-kafka: FAILED: {error!r}", file=sys.stderr)
        sys.exit(1)
