"""A third-party Schema Registry client against the embedded registry and a topology.

Usage: python3 schema_registry_client.py BOOTSTRAP_SERVERS SCHEMA_REGISTRY_URL

Runs beside the `registry-interop` topology (streams-schema-registry's example),
which reads `interop-*-in` through the framework's registry serdes and writes
`interop-*-out`. With confluent-kafka's SchemaRegistryClient and its Avro,
Protobuf and JSON Schema serializers this script:

1. checks the registry's REST answers: register, look-up, versions, schema by
   id, compatibility levels, a compatibility test and the refusal of an
   incompatible schema with HTTP 409 / error code 409 (as Confluent's registry);
2. writes Avro records with schema v1 and v2 (v2 adds a field with a default),
   Protobuf records (message indexes) and JSON Schema records;
3. reads what the topology wrote with confluent-kafka's deserializers and checks
   every value: Avro v1 records read by the topology's v2 reader schema carry
   the default.

Every wait is bounded; a failure exits non-zero saying what was expected.
"""

import sys
import time
import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, StringDeserializer, StringSerializer
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

DEADLINE_SECONDS = 120
COUNT = 5

ORDER_V1 = """{"type":"record","name":"Order","namespace":"interop","fields":[
  {"name":"id","type":"string"},{"name":"quantity","type":"int"}]}"""
ORDER_V2 = """{"type":"record","name":"Order","namespace":"interop","fields":[
  {"name":"id","type":"string"},{"name":"quantity","type":"int"},
  {"name":"note","type":"string","default":"none"}]}"""
ORDER_INCOMPATIBLE = """{"type":"record","name":"Order","namespace":"interop","fields":[
  {"name":"id","type":"string"},{"name":"quantity","type":"int"},{"name":"priority","type":"int"}]}"""
READING = """{"title":"Reading","type":"object","required":["sensor","celsius"],
  "properties":{"sensor":{"type":"string"},"celsius":{"type":"number"}}}"""


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def ping_class():
    """interop.Ping, built from the same FileDescriptorProto the Rust side builds."""
    file = descriptor_pb2.FileDescriptorProto(name="interop.proto", package="interop", syntax="proto3")
    message = file.message_type.add(name="Ping")
    field = descriptor_pb2.FieldDescriptorProto
    message.field.add(name="id", number=1, type=field.TYPE_STRING, label=field.LABEL_OPTIONAL, json_name="id")
    message.field.add(name="count", number=2, type=field.TYPE_INT64, label=field.LABEL_OPTIONAL, json_name="count")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("interop.Ping"))


def check_rest_api(registry):
    subject = f"python-check-{uuid.uuid4()}-value"
    first = registry.register_schema(subject, Schema(ORDER_V1, "AVRO"))
    again = registry.register_schema(subject, Schema(ORDER_V1, "AVRO"))
    check(first == again, f"registering the same schema twice gave ids {first} and {again}")
    found = registry.lookup_schema(subject, Schema(ORDER_V1, "AVRO"))
    check(found.schema_id == first and found.version == 1, f"look-up answered {found}")
    fetched = registry.get_schema(first)
    check(fetched.schema_type == "AVRO" and "quantity" in fetched.schema_str, f"schema by id: {fetched}")

    registry.set_compatibility(subject, "BACKWARD")
    check(registry.get_compatibility(subject) == "BACKWARD", "subject level not BACKWARD")
    check(registry.test_compatibility(subject, Schema(ORDER_V2, "AVRO")),
          "v2 (a field with a default) should be BACKWARD compatible")
    check(not registry.test_compatibility(subject, Schema(ORDER_INCOMPATIBLE, "AVRO")),
          "a field without a default should not be BACKWARD compatible")
    try:
        registry.register_schema(subject, Schema(ORDER_INCOMPATIBLE, "AVRO"))
        raise AssertionError("the registry accepted an incompatible schema")
    except SchemaRegistryError as error:
        check(error.http_status_code == 409 and error.error_code == 409,
              f"refusal answered HTTP {error.http_status_code}, error code {error.error_code}: {error}")
        check(subject in error.error_message, f"the refusal does not name the subject: {error.error_message}")
    second = registry.register_schema(subject, Schema(ORDER_V2, "AVRO"))
    latest = registry.get_latest_version(subject)
    check(latest.version == 2 and latest.schema_id == second, f"latest version: {latest}")
    check(registry.get_versions(subject) == [1, 2], "versions are not [1, 2]")
    check(subject in registry.get_subjects(), "the subject is not listed")
    try:
        registry.get_latest_version(f"missing-{uuid.uuid4()}")
        raise AssertionError("an unknown subject was found")
    except SchemaRegistryError as error:
        check(error.error_code == 40401, f"an unknown subject answered error code {error.error_code}")
    check(registry.delete_subject(subject) == [1, 2], "deleting the subject did not answer its versions")
    print("REST API: register, look-up, compatibility and refusal (409) as expected")


def produce_inputs(bootstrap, registry, ping):
    producer = Producer({"bootstrap.servers": bootstrap})
    keys = StringSerializer()
    avro_v1 = AvroSerializer(registry, ORDER_V1)
    avro_v2 = AvroSerializer(registry, ORDER_V2)
    proto = ProtobufSerializer(ping, registry)
    json = JSONSerializer(READING, registry)

    def send(topic, key, value, serializer):
        context = SerializationContext(topic, MessageField.VALUE)
        producer.produce(topic, key=keys(key), value=serializer(value, context))

    for i in range(COUNT):
        send("interop-avro-in", f"v1-{i}", {"id": f"v1-{i}", "quantity": i}, avro_v1)
        send("interop-avro-in", f"v2-{i}", {"id": f"v2-{i}", "quantity": i, "note": f"note-{i}"}, avro_v2)
        send("interop-proto-in", f"p-{i}", ping(id=f"p-{i}", count=i * 10), proto)
        send("interop-json-in", f"s-{i}", {"sensor": f"s-{i}", "celsius": float(i * 10)}, json)
    remaining = producer.flush(DEADLINE_SECONDS)
    check(remaining == 0, f"{remaining} input records were not acknowledged")
    versions = registry.get_versions("interop-avro-in-value")
    check(versions == [1, 2], f"interop-avro-in-value should have versions [1, 2], has {versions}")


def read_outputs(bootstrap, registry, ping):
    deserializers = {
        "interop-avro-out": AvroDeserializer(registry),
        "interop-proto-out": ProtobufDeserializer(ping, None, registry),
        "interop-json-out": JSONDeserializer(None, schema_registry_client=registry),
    }
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"python-registry-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe(list(deserializers))
    keys = StringDeserializer()
    seen = {topic: {} for topic in deserializers}
    expected = 2 * COUNT + COUNT + COUNT
    deadline = time.monotonic() + DEADLINE_SECONDS
    while sum(len(values) for values in seen.values()) < expected:
        check(time.monotonic() < deadline,
              f"only {sum(len(v) for v in seen.values())} of {expected} output records arrived: {seen}")
        message = consumer.poll(0.5)
        if message is None:
            continue
        check(message.error() is None, f"consumer error: {message.error()}")
        context = SerializationContext(message.topic(), MessageField.VALUE)
        value = deserializers[message.topic()](message.value(), context)
        seen[message.topic()][keys(message.key(), None)] = value
    consumer.close()

    for i in range(COUNT):
        old = seen["interop-avro-out"][f"v1-{i}"]
        check(old == {"id": f"v1-{i}", "quantity": 2 * i, "note": "none!"},
              f"a v1 record read with the v2 reader schema: {old}")
        new = seen["interop-avro-out"][f"v2-{i}"]
        check(new == {"id": f"v2-{i}", "quantity": 2 * i, "note": f"note-{i}!"}, f"a v2 record: {new}")
        pong = seen["interop-proto-out"][f"p-{i}"]
        check(pong.id == f"p-{i}" and pong.count == i * 10 + 1, f"a protobuf record: {pong}")
        reading = seen["interop-json-out"][f"s-{i}"]
        check(reading == {"sensor": f"s-{i}", "fahrenheit": i * 10 * 9 / 5 + 32}, f"a JSON record: {reading}")
    print(f"topology: {expected} records written by confluent-kafka serializers came back as expected")


def main():
    bootstrap, url = sys.argv[1], sys.argv[2]
    registry = SchemaRegistryClient({"url": url})
    check_rest_api(registry)
    ping = ping_class()
    produce_inputs(bootstrap, registry, ping)
    read_outputs(bootstrap, registry, ping)


if __name__ == "__main__":
    main()
