"""A third-party client against embedded-kafka: the Python confluent-kafka client.

Usage: python3 third_party_client.py BOOTSTRAP_SERVERS

Creates a topic through the admin API, produces plain records, commits one
transaction and aborts another, then checks that a read_committed consumer sees
exactly the plain and committed records while a read_uncommitted one sees all of
them, and that a consumer group commits and fetches its offsets. Then runs an
exactly-once consume-transform-produce loop (offsets sent to the transaction with
the consumer's group metadata): an aborted round leaves no visible output and no
committed offsets, every input is copied exactly once, and a zombie producer is
fenced by a second producer with the same transactional.id. Every wait is
bounded; any failure exits non-zero with a message saying what was expected.
"""

import sys
import time
import uuid

from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaError, KafkaException,
                             Producer, TopicPartition)
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


def committed_offsets(consumer, topic):
    """The group's committed offset of each partition (negative: none)."""
    committed = consumer.committed(
        [TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=DEADLINE_SECONDS)
    return {tp.partition: tp.offset for tp in committed}


def poll_batch(consumer, at_most):
    """Up to `at_most` records, waiting at most a few seconds for the first."""
    records = []
    deadline = time.monotonic() + 5
    while len(records) < at_most and time.monotonic() < deadline:
        message = consumer.poll(0.2)
        if message is None:
            if records:
                break
            continue
        if message.error():
            raise KafkaException(message.error())
        records.append(message)
    return records


def copy_in_transaction(producer, consumer, records, output, prefix):
    """Writes one output per record and the consumer's positions in one transaction
    (left open for the caller to commit or abort)."""
    producer.begin_transaction()
    for record in records:
        producer.produce(output, key=record.key(), value=prefix + record.value().decode())
    producer.send_offsets_to_transaction(
        consumer.position(consumer.assignment()),
        consumer.consumer_group_metadata(),
        DEADLINE_SECONDS)


def exactly_once_copy(bootstrap, count):
    """The consume-transform-produce loop of an exactly-once application."""
    source = f"python-eos-in-{uuid.uuid4().hex[:8]}"
    output = f"python-eos-out-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap, source)
    create_topic(bootstrap, output)
    produce_plain(bootstrap, source, count)
    group = f"{source}-copier"
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
    })
    consumer.subscribe([source])
    transactional_id = f"python-eos-{uuid.uuid4()}"
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": transactional_id})
    producer.init_transactions(DEADLINE_SECONDS)

    # An aborted round: nothing of it may be visible, no offset committed.
    deadline = time.monotonic() + DEADLINE_SECONDS
    first = []
    while not first and time.monotonic() < deadline:
        first = poll_batch(consumer, 5)
    check(first, f"the copier read nothing from {source} within {DEADLINE_SECONDS} s")
    copy_in_transaction(producer, consumer, first, output, "aborted-")
    producer.abort_transaction(DEADLINE_SECONDS)
    offsets = committed_offsets(consumer, source)
    check(all(offset < 0 for offset in offsets.values()),
          f"an aborted transaction committed offsets: {offsets}")
    for tp in consumer.assignment():
        consumer.seek(TopicPartition(tp.topic, tp.partition, OFFSET_BEGINNING))

    copied = 0
    while copied < count and time.monotonic() < deadline:
        records = poll_batch(consumer, 7)
        if not records:
            continue
        copy_in_transaction(producer, consumer, records, output, "copied-")
        producer.commit_transaction(DEADLINE_SECONDS)
        copied += len(records)
    check(copied == count, f"the copier copied {copied} of {count} records")
    offsets = committed_offsets(consumer, source)
    check(sum(offsets.values()) == count,
          f"committed offsets {offsets} should add up to the {count} input records")

    # A zombie: a second producer with the same transactional.id fences the first.
    successor = Producer({"bootstrap.servers": bootstrap, "transactional.id": transactional_id})
    successor.init_transactions(DEADLINE_SECONDS)
    fenced = None
    try:
        producer.begin_transaction()
        producer.produce(output, key="zombie", value="zombie")
        producer.commit_transaction(DEADLINE_SECONDS)
    except KafkaException as error:
        fenced = error.args[0]
    check(fenced is not None, "the zombie producer committed after being fenced")
    check(fenced.fatal() or fenced.code() in (KafkaError._FENCED, KafkaError.PRODUCER_FENCED,
                                               KafkaError.INVALID_PRODUCER_EPOCH),
          f"the zombie should get a fatal fencing error, got {fenced}")
    successor.begin_transaction()
    successor.produce(output, key="successor", value="successor")
    successor.commit_transaction(DEADLINE_SECONDS)
    consumer.close()

    values = consume_all(bootstrap, output, "read_committed", count + 1, f"{output}-verifier")
    expected = sorted([f"copied-plain-{i}" for i in range(count)] + ["successor"])
    check(sorted(values) == expected,
          f"read_committed output should be every input copied once plus the successor's "
          f"record, got {sorted(values)}")


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
    exactly_once_copy(bootstrap, 40)
    print("confluent-kafka: 2 passed, 0 failed")


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # report any failure as one clear line
        print(f"confluent-kafka against embedded-kafka: FAILED: {error!r}", file=sys.stderr)
        sys.exit(1)
