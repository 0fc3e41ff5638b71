//! Serde selection (by type, overrides), serde failures naming topic, partition,
//! offset and serde, and the deserialization handlers.

use streams_dsl::prelude::*;

#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
struct Payment {
    card: String,
    cents: u64,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Alert {
    #[prost(string, tag = "1")]
    card: String,
    #[prost(uint64, tag = "2")]
    cents: u64,
}

#[test]
fn registered_json_serde_is_chosen_by_type_and_overrides_win() {
    let builder = StreamsBuilder::new();
    builder.register_serde(JsonSerde::<Payment>::new());
    let payments = builder.stream::<String, Payment>("payments", Consumed::default());
    payments.to("payments-json", Produced::default());
    payments.to(
        "payments-bincode",
        Produced::default().value_serde(BincodeSerde::<Payment>::new()),
    );
    payments
        .map_values(|p| Alert {
            card: p.card,
            cents: p.cents,
        })
        .to(
            "alerts",
            Produced::default().value_serde(ProtobufSerde::<Alert>::new()),
        );
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let payment = Payment {
        card: "c1".into(),
        cents: 500,
    };
    driver
        .input_topic::<String, Payment>("payments")
        .unwrap()
        .pipe("c1", payment.clone(), 1)
        .unwrap();

    let raw = driver.output_topic_with::<String, Vec<u8>>(
        "payments-json",
        std::sync::Arc::new(StringSerde),
        std::sync::Arc::new(VecSerde),
    );
    assert_eq!(raw.read_value().unwrap(), br#"{"card":"c1","cents":500}"#);
    let bincode = driver.output_topic_with::<String, Payment>(
        "payments-bincode",
        std::sync::Arc::new(StringSerde),
        std::sync::Arc::new(BincodeSerde::new()),
    );
    assert_eq!(bincode.read_value().unwrap(), payment);
    let alerts = driver.output_topic_with::<String, Alert>(
        "alerts",
        std::sync::Arc::new(StringSerde),
        std::sync::Arc::new(ProtobufSerde::new()),
    );
    assert_eq!(
        alerts.read_value().unwrap(),
        Alert {
            card: "c1".into(),
            cents: 500
        }
    );
}

#[test]
fn the_source_serde_is_carried_to_sinks_while_the_type_is_unchanged() {
    let builder = StreamsBuilder::new();
    // Payment has no registered serde: only the Consumed one is known.
    builder
        .stream::<String, Payment>(
            "payments",
            Consumed::default().value_serde(JsonSerde::new()),
        )
        .filter(|_, p| p.cents > 0)
        .to("positive", Produced::default());
    assert!(builder.build().is_ok());
}

#[test]
fn a_sink_without_a_serde_for_its_type_fails_at_build_with_what_to_do() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .map_values(|v| Payment { card: v, cents: 1 })
        .to("out", Produced::default().named("payments-sink"));
    let error = builder.build().unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, TopologyError::MissingSerde { .. }));
    assert!(message.contains("'payments-sink'"), "{message}");
    assert!(
        message.contains("value serde for type `")
            && message.contains("serdes_and_errors::Payment`"),
        "{message}"
    );
    assert!(message.contains("register_serde"), "{message}");
}

#[test]
fn a_value_that_does_not_deserialize_fails_naming_topic_partition_offset_and_serde() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, i64>("numbers", Consumed::default())
        .to("out", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let input = driver.input_topic::<String, i64>("numbers").unwrap();
    input.pipe("ok", 1, 0).unwrap();
    let error = input
        .pipe_bytes(
            Some(b"bad".to_vec()),
            Some(vec![1, 2, 3]),
            1,
            Headers::new(),
        )
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "failed to deserialize the value of the record at topic 'numbers' partition 0 offset 1 with serde I64Serde: expected 8 bytes for i64, got 3"
    );
}

#[test]
fn a_null_value_for_a_non_optional_type_is_a_clear_error() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .to("out", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let error = driver
        .input_topic::<String, String>("in")
        .unwrap()
        .pipe_bytes(Some(b"k".to_vec()), None, 0, Headers::new())
        .unwrap_err();
    assert!(
        error.to_string().contains("declare the type as Option<"),
        "{error}"
    );
}

#[test]
fn log_and_continue_skips_poison_pills_and_counts_them() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, i64>("numbers", Consumed::default())
        .to("out", Produced::default());
    let config = TestDriverConfig {
        deserialization_handler: DeserializationHandler::LogAndContinue,
        ..TestDriverConfig::default()
    };
    let driver = TopologyTestDriver::with_config(builder.build().unwrap(), config).unwrap();
    let input = driver.input_topic::<String, i64>("numbers").unwrap();
    input
        .pipe_bytes(
            Some(b"k".to_vec()),
            Some(b"nope".to_vec()),
            0,
            Headers::new(),
        )
        .unwrap();
    input.pipe("k", 5, 1).unwrap();
    assert_eq!(
        driver
            .output_topic::<String, i64>("out")
            .unwrap()
            .read_all()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(driver.metrics().skipped_records, 1);
    assert_eq!(driver.metrics().processed_records, 2);
}

#[test]
fn dead_letter_queue_keeps_the_original_bytes_and_says_what_failed() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, i64>("numbers", Consumed::default())
        .to("out", Produced::default());
    let config = TestDriverConfig {
        deserialization_handler: DeserializationHandler::DeadLetterQueue {
            topic: "numbers-dlq".into(),
        },
        ..TestDriverConfig::default()
    };
    let driver = TopologyTestDriver::with_config(builder.build().unwrap(), config).unwrap();
    let input = driver.input_topic::<String, i64>("numbers").unwrap();
    input
        .pipe_bytes(
            Some(b"k".to_vec()),
            Some(b"nope".to_vec()),
            77,
            Headers::new().with("origin", b"test"),
        )
        .unwrap();
    let dlq = driver.output_topic_with::<Vec<u8>, Vec<u8>>(
        "numbers-dlq",
        std::sync::Arc::new(VecSerde),
        std::sync::Arc::new(VecSerde),
    );
    let record = dlq.read().unwrap();
    assert_eq!(
        (
            record.key.as_slice(),
            record.value.as_slice(),
            record.timestamp
        ),
        (&b"k"[..], &b"nope"[..], 77)
    );
    assert_eq!(record.headers.last_value("origin"), Some(&b"test"[..]));
    assert_eq!(
        record.headers.last_value("__streams.errors.topic"),
        Some(&b"numbers"[..])
    );
    assert_eq!(
        record.headers.last_value("__streams.errors.offset"),
        Some(&b"0"[..])
    );
    let message = String::from_utf8(
        record
            .headers
            .last_value("__streams.errors.message")
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(message.contains("I64Serde"), "{message}");
    assert!(
        driver
            .output_topic::<String, i64>("out")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_serialization_failure_names_the_sink_topic_and_serde() {
    struct Failing;
    impl Serde<String> for Failing {
        fn name(&self) -> &str {
            "FailingSerde"
        }
        fn serialize(&self, _: &String) -> Result<Vec<u8>, SerdeError> {
            Err(SerdeError::new("refused"))
        }
        fn deserialize(&self, _: &[u8]) -> Result<String, SerdeError> {
            Err(SerdeError::new("refused"))
        }
    }
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .to(
            "out",
            Produced::default()
                .value_serde(Failing)
                .named("strict-sink"),
        );
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let error = driver
        .input_topic::<String, String>("in")
        .unwrap()
        .pipe("k", "v", 0)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "failed to serialize the value of a record for topic 'out' at sink 'strict-sink' with serde FailingSerde: refused"
    );
}

#[test]
fn reading_more_than_was_written_is_an_error_not_a_panic() {
    let builder = StreamsBuilder::new();
    builder
        .stream::<String, String>("in", Consumed::default())
        .to("out", Produced::default());
    let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
    let out = driver.output_topic::<String, String>("out").unwrap();
    assert_eq!(
        out.read().unwrap_err().to_string(),
        "no record to read from topic 'out'"
    );
    let error = driver
        .input_topic::<String, String>("elsewhere")
        .err()
        .unwrap();
    assert_eq!(
        error.to_string(),
        "the topology does not read topic 'elsewhere'; it reads: in"
    );
}
