//! The two schema-registry calls the example makes besides what its serdes
//! do: setting a subject's compatibility level and listing its versions
//! (Confluent REST API: `PUT /config/{subject}`, `GET /subjects/{subject}/versions`).

use std::time::Duration;

/// A registry call that failed.
#[derive(Debug, thiserror::Error)]
#[error("schema registry {call}: {message}")]
pub struct RegistryCallError {
    call: String,
    message: String,
}

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn failed(call: String) -> impl FnOnce(ureq::Error) -> RegistryCallError {
    move |error| RegistryCallError {
        call,
        message: error.to_string(),
    }
}

/// Sets `subject`'s compatibility level (`BACKWARD`, `FULL`, ...).
pub fn set_compatibility(url: &str, subject: &str, level: &str) -> Result<(), RegistryCallError> {
    let call = format!("PUT {url}/config/{subject}");
    agent()
        .put(&format!("{url}/config/{subject}"))
        .header("Content-Type", CONTENT_TYPE)
        .send(format!(r#"{{"compatibility":"{level}"}}"#))
        .map_err(failed(call))?;
    Ok(())
}

/// The versions registered under `subject`, oldest first.
pub fn versions(url: &str, subject: &str) -> Result<Vec<u32>, RegistryCallError> {
    let call = format!("GET {url}/subjects/{subject}/versions");
    let mut response = agent()
        .get(&format!("{url}/subjects/{subject}/versions"))
        .call()
        .map_err(failed(call.clone()))?;
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(failed(call.clone()))?;
    serde_json::from_str(&body).map_err(|e| RegistryCallError {
        call,
        message: format!("not a list of versions ({e}): {body}"),
    })
}
