//! The registry's REST API on an embedded broker: registration, look-ups,
//! compatibility levels and refusals with Confluent's error codes, and its data
//! surviving a restart (read back from the `_schemas` topic).

use embedded_kafka::{BrokerConfig, EmbeddedKafka};
use schema_registry::{SchemaRegistry, SchemaRegistryConfig};
use serde_json::{Value, json};
use std::time::Duration;

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";
const USER_V1: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"string"}]}"#;
const USER_V2: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"string"},{"name":"email","type":"string","default":""}]}"#;
const USER_NO_DEFAULT: &str = r#"{"type":"record","name":"User","fields":[{"name":"id","type":"string"},{"name":"age","type":"int"}]}"#;

struct Client {
    url: String,
    agent: ureq::Agent,
}

impl Client {
    fn new(url: &str) -> Self {
        Self {
            url: url.to_string(),
            agent: ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(30)))
                .http_status_as_error(false)
                .build()
                .into(),
        }
    }

    fn answer(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
        let mut response = response.expect("the registry answers");
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().expect("a body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body)
    }

    fn get(&self, path: &str) -> (u16, Value) {
        Self::answer(self.agent.get(&format!("{}{path}", self.url)).call())
    }

    fn delete(&self, path: &str) -> (u16, Value) {
        Self::answer(self.agent.delete(&format!("{}{path}", self.url)).call())
    }

    fn send(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let url = format!("{}{path}", self.url);
        let request = match method {
            "PUT" => self.agent.put(&url),
            _ => self.agent.post(&url),
        };
        Self::answer(
            request
                .header("Content-Type", CONTENT_TYPE)
                .send(body.to_string()),
        )
    }
}

fn start_registry(bootstrap: &str, topic: &str) -> SchemaRegistry {
    SchemaRegistry::start(SchemaRegistryConfig::new(bootstrap).with_topic(topic))
        .expect("the registry starts on the embedded broker")
}

#[test]
fn registers_checks_compatibility_and_survives_a_restart() {
    let broker = EmbeddedKafka::start_blocking(BrokerConfig::default()).expect("broker");
    let bootstrap = broker.bootstrap_servers();
    let topic = "_schemas_rest_api";
    let registry = start_registry(&bootstrap, topic);
    let client = Client::new(registry.url());

    let (status, body) = client.send(
        "POST",
        "/subjects/users-value/versions",
        json!({"schema": USER_V1}),
    );
    assert_eq!((status, &body), (200, &json!({"id": 1})));
    // The same schema again (other whitespace) keeps its id and version.
    let spaced = USER_V1.replace(',', ", ");
    let (_, again) = client.send(
        "POST",
        "/subjects/users-value/versions",
        json!({"schema": spaced}),
    );
    assert_eq!(again, json!({"id": 1}));
    // The same schema under another subject shares the id.
    let (_, other) = client.send(
        "POST",
        "/subjects/accounts-value/versions",
        json!({"schema": USER_V1}),
    );
    assert_eq!(other, json!({"id": 1}));

    // BACKWARD (the default) refuses a field without a default, naming the subject.
    let (status, refused) = client.send(
        "POST",
        "/subjects/users-value/versions",
        json!({"schema": USER_NO_DEFAULT}),
    );
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error_code"], 409);
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains("users-value") && message.contains("age"),
        "{message}"
    );
    let (_, verdict) = client.send(
        "POST",
        "/compatibility/subjects/users-value/versions/latest?verbose=true",
        json!({"schema": USER_NO_DEFAULT}),
    );
    assert_eq!(verdict["is_compatible"], false, "{verdict}");
    assert!(!verdict["messages"].as_array().unwrap().is_empty());

    let (status, v2) = client.send(
        "POST",
        "/subjects/users-value/versions",
        json!({"schema": USER_V2}),
    );
    assert_eq!((status, &v2), (200, &json!({"id": 2})));
    let (_, latest) = client.get("/subjects/users-value/versions/latest");
    assert_eq!(latest["version"], 2);
    assert_eq!(latest["id"], 2);
    assert_eq!(
        client.get("/subjects/users-value/versions").1,
        json!([1, 2])
    );
    let (_, found) = client.send("POST", "/subjects/users-value", json!({"schema": USER_V1}));
    assert_eq!(
        (found["id"].clone(), found["version"].clone()),
        (json!(1), json!(1))
    );

    // Confluent's error codes.
    assert_eq!(
        client.get("/subjects/nobody-value/versions").1["error_code"],
        40401
    );
    assert_eq!(
        client.get("/subjects/users-value/versions/7").1["error_code"],
        40402
    );
    assert_eq!(client.get("/schemas/ids/99").1["error_code"], 40403);
    assert_eq!(
        client.get("/subjects/users-value/versions/zero").1["error_code"],
        42202
    );
    let (status, invalid) = client.send(
        "POST",
        "/subjects/users-value/versions",
        json!({"schema": "{\"type\":\"recordd\"}"}),
    );
    assert_eq!((status, invalid["error_code"].clone()), (422, json!(42201)));
    let (status, bad_level) = client.send(
        "PUT",
        "/config/users-value",
        json!({"compatibility": "SIDEWAYS"}),
    );
    assert_eq!(
        (status, bad_level["error_code"].clone()),
        (422, json!(42203))
    );
    assert_eq!(client.get("/config/users-value").1["error_code"], 40408);

    // Levels: NONE on the subject lets the refused schema in; the global level stays.
    let (_, set) = client.send(
        "PUT",
        "/config/users-value",
        json!({"compatibility": "NONE"}),
    );
    assert_eq!(set, json!({"compatibility": "NONE"}));
    let (status, _) = client.send(
        "POST",
        "/subjects/users-value/versions",
        json!({"schema": USER_NO_DEFAULT}),
    );
    assert_eq!(status, 200);
    client.send(
        "PUT",
        "/config",
        json!({"compatibility": "FULL_TRANSITIVE"}),
    );
    assert_eq!(
        client.get("/config").1,
        json!({"compatibilityLevel": "FULL_TRANSITIVE"})
    );

    // JSON Schema: adding a property to an open content model is refused under BACKWARD.
    client.send(
        "PUT",
        "/config/readings-value",
        json!({"compatibility": "BACKWARD"}),
    );
    let open = json!({"type": "object", "properties": {"sensor": {"type": "string"}}});
    let added = json!({"type": "object", "properties": {"sensor": {"type": "string"}, "celsius": {"type": "number"}}});
    let (status, _) = client.send(
        "POST",
        "/subjects/readings-value/versions",
        json!({"schema": open.to_string(), "schemaType": "JSON"}),
    );
    assert_eq!(status, 200);
    let (status, refused) = client.send(
        "POST",
        "/subjects/readings-value/versions",
        json!({"schema": added.to_string(), "schemaType": "JSON"}),
    );
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
    );
    let (_, by_id) = client.get("/schemas/ids/4");
    assert_eq!(by_id["schemaType"], "JSON", "{by_id}");

    // A restart reads everything back from the topic.
    registry.shutdown();
    let registry = start_registry(&bootstrap, topic);
    let client = Client::new(registry.url());
    assert_eq!(
        client.get("/subjects").1,
        json!(["accounts-value", "readings-value", "users-value"])
    );
    assert_eq!(
        client.get("/subjects/users-value/versions").1,
        json!([1, 2, 3])
    );
    assert_eq!(client.get("/schemas/ids/2").1["schema"], USER_V2);
    assert_eq!(
        client.get("/config/users-value").1,
        json!({"compatibilityLevel": "NONE"})
    );
    assert_eq!(
        client.get("/config").1,
        json!({"compatibilityLevel": "FULL_TRANSITIVE"})
    );
    let (_, next) = client.send(
        "POST",
        "/subjects/orders-value/versions",
        json!({"schema": r#"{"type":"record","name":"Order","fields":[]}"#}),
    );
    assert_eq!(next, json!({"id": 5}), "ids continue after the restart");

    // A soft-deleted subject is no longer listed; its schema stays readable by id.
    assert_eq!(client.delete("/subjects/accounts-value"), (200, json!([1])));
    assert_eq!(
        client.get("/subjects").1,
        json!(["orders-value", "readings-value", "users-value"])
    );
    assert_eq!(client.get("/schemas/ids/1").1["schema"], USER_V1);
    let (_, unknown) = client.send(
        "POST",
        "/subjects/accounts-value",
        json!({"schema": USER_V1}),
    );
    assert_eq!(unknown["error_code"], 40401);
    registry.shutdown();
    broker.shutdown_blocking();
}
