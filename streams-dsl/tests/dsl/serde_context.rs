//! Serdes see where their bytes go: the source, sink and repartition topics,
//! the store's changelog topic (`<application.id>-<store>-changelog`, as Kafka
//! Streams passes it to state serdes), key or value, and the record's headers.

use std::sync::{Arc, Mutex};
use streams_core::error::RecordPart;
use streams_dsl::prelude::*;

type Seen = Arc<Mutex<Vec<(String, RecordPart, Option<String>)>>>;

/// A string serde that notes every context it is called with.
struct RecordingSerde {
    seen: Seen,
}

impl RecordingSerde {
    fn note(&self, context: &SerdeContext<'_>) {
        let trace = context
            .headers()
            .last_value("trace-id")
            .map(|v| String::from_utf8_lossy(v).into_owned());
        self.seen
            .lock()
            .unwrap()
            .push((context.topic().to_string(), context.part(), trace));
    }
}

impl Serde<String> for RecordingSerde {
    fn serialize(&self, value: &String) -> Result<Vec<u8>, SerdeError> {
        StringSerde.serialize(value)
    }
    fn deserialize(&self, bytes: &[u8]) -> Result<String, SerdeError> {
        StringSerde.deserialize(bytes)
    }
    fn serialize_with_context(
        &self,
        context: &SerdeContext<'_>,
        value: &String,
    ) -> Result<Option<Vec<u8>>, SerdeError> {
        self.note(context);
        self.serialize(value).map(Some)
    }
    fn deserialize_with_context(
        &self,
        context: &SerdeContext<'_>,
        bytes: Option<&[u8]>,
    ) -> Result<String, SerdeError> {
        self.note(context);
        self.deserialize(bytes.ok_or_else(|| SerdeError::new("null"))?)
    }
}

#[test]
fn serdes_see_source_sink_repartition_and_changelog_topics_with_headers() {
    let seen: Seen = Arc::default();
    let builder = StreamsBuilder::new();
    builder.register_serde(RecordingSerde { seen: seen.clone() });
    builder
        .stream::<String, String>("clicks", Consumed::default())
        .select_key(|_, page| page.clone())
        .group_by_key()
        .count(Materialized::named("page-counts").with_caching_disabled())
        .to_stream()
        .map_values(|count| count.unwrap_or_default().to_string())
        .to("page-counts-out", Produced::default());
    let driver = TopologyTestDriver::with_config(
        builder.build().unwrap(),
        TestDriverConfig {
            application_id: "site".into(),
            ..TestDriverConfig::default()
        },
    )
    .unwrap();
    let clicks = driver.input_topic::<String, String>("clicks").unwrap();
    seen.lock().unwrap().clear();
    clicks
        .pipe_with_headers("user-1", "home", 1, Headers::new().with("trace-id", "t-7"))
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    let has = |topic: &str, part: RecordPart| {
        seen.iter()
            .any(|(t, p, trace)| t == topic && *p == part && trace.as_deref() == Some("t-7"))
    };
    assert!(
        has("clicks", RecordPart::Key),
        "the test input and the source: {seen:?}"
    );
    assert!(has("clicks", RecordPart::Value), "{seen:?}");
    let repartition = seen
        .iter()
        .find(|(t, _, _)| t.starts_with("site-") && t.ends_with("-repartition"))
        .map(|(t, _, _)| t.clone())
        .unwrap_or_else(|| panic!("a repartition topic context: {seen:?}"));
    assert!(
        has(&repartition, RecordPart::Key) && has(&repartition, RecordPart::Value),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|(t, p, trace)| t == "site-page-counts-changelog"
                && *p == RecordPart::Key
                && trace.is_none()),
        "the store's key serde sees its changelog topic, without headers: {seen:?}"
    );
    assert!(
        has("page-counts-out", RecordPart::Key),
        "the sink: {seen:?}"
    );
    assert!(has("page-counts-out", RecordPart::Value), "{seen:?}");
}
