//! Registry serdes in topologies (TopologyTestDriver, in-memory registry):
//! schema evolution read through a reader schema, the subjects of sources,
//! sinks, changelogs and repartition topics, the subject name strategies, and
//! Protobuf message indexes of nested messages.

use std::sync::Arc;
use streams_core::record::Headers;
use streams_core::serde::{Serde, SerdeContext};
use streams_dsl::prelude::*;
use streams_schema_registry::apache_avro::types::Value;
use streams_schema_registry::{
    AvroSerde, GenericAvroSerde, MockSchemaRegistryClient, RegistrySerdeConfig, SchemaIdMode,
    SchemaRegistryClient, SubjectNameStrategy,
};

const USER_V1: &str = r#"{"type":"record","name":"User","namespace":"shop","fields":[
  {"name":"id","type":"string"},{"name":"visits","type":"long"}]}"#;
const USER_V2: &str = r#"{"type":"record","name":"User","namespace":"shop","fields":[
  {"name":"id","type":"string"},{"name":"visits","type":"long"},
  {"name":"tier","type":"string","default":"basic"}]}"#;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct UserV1 {
    id: String,
    visits: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct UserV2 {
    id: String,
    visits: i64,
    tier: String,
}

fn registry() -> Arc<MockSchemaRegistryClient> {
    Arc::new(MockSchemaRegistryClient::new())
}

#[test]
fn a_reader_schema_reads_records_of_both_versions() {
    let registry = registry();
    let config = RegistrySerdeConfig::default();
    let builder = StreamsBuilder::new();
    builder.register_serde(AvroSerde::<UserV2>::new(registry.clone(), USER_V2, config).unwrap());
    builder
        .stream::<String, UserV2>("users", Consumed::default())
        .map_values(|user| format!("{}:{}:{}", user.id, user.visits, user.tier))
        .to("user-lines", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();

    // Old and new producers write the topic, each registering its own version.
    let old_writer = AvroSerde::<UserV1>::new(registry.clone(), USER_V1, config).unwrap();
    let new_writer = AvroSerde::<UserV2>::new(registry.clone(), USER_V2, config).unwrap();
    let headers = Headers::new();
    let context = SerdeContext::value("users", &headers);
    let old = old_writer
        .serialize_with_context(
            &context,
            &UserV1 {
                id: "u1".into(),
                visits: 3,
            },
        )
        .unwrap();
    let new = new_writer
        .serialize_with_context(
            &context,
            &UserV2 {
                id: "u2".into(),
                visits: 5,
                tier: "gold".into(),
            },
        )
        .unwrap();
    assert_ne!(
        old.as_ref().unwrap()[1..5],
        new.as_ref().unwrap()[1..5],
        "two schema ids"
    );
    let input = driver.input_topic::<String, Vec<u8>>("users").unwrap();
    input
        .pipe_bytes(Some(b"u1".to_vec()), old, 1, Headers::new())
        .unwrap();
    input
        .pipe_bytes(Some(b"u2".to_vec()), new, 2, Headers::new())
        .unwrap();

    let out = driver.output_topic::<String, String>("user-lines").unwrap();
    assert_eq!(
        out.read_value().unwrap(),
        "u1:3:basic",
        "v1 data gets v2's default"
    );
    assert_eq!(out.read_value().unwrap(), "u2:5:gold");
    assert_eq!(registry.latest("users-value").unwrap().version, 2);
}

#[test]
fn sinks_changelogs_and_repartition_topics_get_their_own_subjects() {
    let registry = registry();
    let config = RegistrySerdeConfig::default();
    let builder = StreamsBuilder::new();
    builder.register_serde(AvroSerde::<UserV1>::new(registry.clone(), USER_V1, config).unwrap());
    let counts = GenericAvroSerde::new(registry.clone(), r#""long""#, config).unwrap();
    builder
        .stream::<String, UserV1>("visits", Consumed::default())
        .select_key(|_, user| user.id.clone())
        .group_by_key()
        .aggregate(
            || Value::Long(0),
            |_, user: UserV1, total: Value| match total {
                Value::Long(total) => Value::Long(total + user.visits),
                other => other,
            },
            Materialized::named("visit-totals").value_serde(counts),
        )
        .to_stream()
        .map_values(|total: Option<Value>| match total {
            Some(Value::Long(total)) => total.to_string(),
            other => format!("not a long: {other:?}"),
        })
        .to("visit-totals-out", Produced::default());
    let topology = builder.build().unwrap();
    let repartition = topology
        .subtopologies()
        .iter()
        .flat_map(|sub| topology.source_topics(sub.id(), "shop"))
        .find(|topic| topic.ends_with("-repartition"))
        .map(|topic| format!("{topic}-value"))
        .expect("select_key then group_by_key repartitions");
    let driver = TopologyTestDriver::with_config(
        topology,
        TestDriverConfig {
            application_id: "shop".into(),
            ..TestDriverConfig::default()
        },
    )
    .unwrap();
    let writer = AvroSerde::<UserV1>::new(registry.clone(), USER_V1, config).unwrap();
    let headers = Headers::new();
    let bytes = writer
        .serialize_with_context(
            &SerdeContext::value("visits", &headers),
            &UserV1 {
                id: "u1".into(),
                visits: 4,
            },
        )
        .unwrap();
    let input = driver.input_topic::<String, Vec<u8>>("visits").unwrap();
    input
        .pipe_bytes(Some(b"any".to_vec()), bytes.clone(), 1, Headers::new())
        .unwrap();
    input
        .pipe_bytes(Some(b"any".to_vec()), bytes, 2, Headers::new())
        .unwrap();
    let out = driver
        .output_topic::<String, Option<String>>("visit-totals-out")
        .unwrap();
    let totals: Vec<Option<String>> = out
        .read_all()
        .unwrap()
        .into_iter()
        .map(|r| r.value)
        .collect();
    assert_eq!(totals.last(), Some(&Some("8".to_string())));
    for subject in [
        "visits-value".to_string(),
        repartition,
        "shop-visit-totals-changelog-value".to_string(),
    ] {
        assert!(
            registry.latest(&subject).is_ok(),
            "subject {subject} is registered"
        );
    }
}

#[test]
fn record_name_strategies_name_subjects_after_the_schema() {
    let registry = registry();
    let headers = Headers::new();
    let context = SerdeContext::value("users", &headers);
    let user = UserV1 {
        id: "u".into(),
        visits: 1,
    };
    for (strategy, subject) in [
        (SubjectNameStrategy::Record, "shop.User"),
        (SubjectNameStrategy::TopicRecord, "users-shop.User"),
    ] {
        let config = RegistrySerdeConfig::default().subject_name_strategy(strategy);
        let serde = AvroSerde::<UserV1>::new(registry.clone(), USER_V1, config).unwrap();
        serde.serialize_with_context(&context, &user).unwrap();
        assert!(
            registry.latest(subject).is_ok(),
            "{strategy:?} registers {subject}"
        );
    }
    // Only the record strategy can name a subject without the topic.
    let record = RegistrySerdeConfig::default().subject_name_strategy(SubjectNameStrategy::Record);
    let serde = AvroSerde::<UserV1>::new(registry.clone(), USER_V1, record).unwrap();
    assert!(serde.serialize(&user).is_ok());
    let topic =
        AvroSerde::<UserV1>::new(registry, USER_V1, RegistrySerdeConfig::default()).unwrap();
    let error = topic.serialize(&user).unwrap_err();
    assert!(
        error.to_string().contains("serialize_with_context"),
        "{error}"
    );
}

#[test]
fn look_up_and_latest_modes_never_register() {
    let registry = registry();
    let headers = Headers::new();
    let context = SerdeContext::value("users", &headers);
    let user = UserV1 {
        id: "u".into(),
        visits: 1,
    };
    let look_up = RegistrySerdeConfig::default().schema_id_mode(SchemaIdMode::LookUp);
    let serde = AvroSerde::<UserV1>::new(registry.clone(), USER_V1, look_up).unwrap();
    let error = serde.serialize_with_context(&context, &user).unwrap_err();
    assert!(
        error.to_string().contains("users-value") && error.to_string().contains("40401"),
        "{error}"
    );
    assert!(
        registry.latest("users-value").is_err(),
        "nothing was registered"
    );

    // With the latest version registered, a v1 value is written with v2 (its default filled in).
    let v2 =
        streams_schema_registry::Schema::new(streams_schema_registry::SchemaType::Avro, USER_V2);
    let v2_id = registry.register("users-value", &v2).unwrap();
    let latest = RegistrySerdeConfig::default().schema_id_mode(SchemaIdMode::UseLatest);
    let serde = AvroSerde::<UserV1>::new(registry.clone(), USER_V1, latest).unwrap();
    let bytes = serde
        .serialize_with_context(&context, &user)
        .unwrap()
        .unwrap();
    assert_eq!(
        u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]),
        v2_id
    );
    let reader =
        AvroSerde::<UserV2>::new(registry, USER_V2, RegistrySerdeConfig::default()).unwrap();
    assert_eq!(
        reader.deserialize(&bytes).unwrap(),
        UserV2 {
            id: "u".into(),
            visits: 1,
            tier: "basic".into()
        }
    );
}

#[test]
fn bytes_that_are_not_in_the_wire_format_fail_with_a_clear_error() {
    let serde =
        AvroSerde::<UserV1>::new(registry(), USER_V1, RegistrySerdeConfig::default()).unwrap();
    let error = serde.deserialize(b"{\"id\":\"u\"}").unwrap_err();
    assert!(error.to_string().contains("magic byte"), "{error}");
    let error = serde.deserialize(&[0, 0, 0, 0, 42, 1]).unwrap_err();
    assert!(error.to_string().contains("schema id 42"), "{error}");
}
