//! One benchmark result and its JSON line.

use serde_json::{Map, Value};
use std::time::Duration;

/// What one workload measured: records processed in a wall-clock duration, plus
/// workload-specific fields (for example `ns_per_record`).
#[derive(Debug, Clone)]
pub struct BenchResult {
    /// Workload name as listed by `--list` (a workload may report several variants).
    pub workload: String,
    /// Records processed in the measured interval.
    pub records: u64,
    /// The measured interval.
    pub elapsed: Duration,
    /// Extra fields printed after the standard ones.
    pub extra: Map<String, Value>,
}

impl BenchResult {
    /// A result with no extra fields.
    pub fn new(workload: impl Into<String>, records: u64, elapsed: Duration) -> Self {
        Self {
            workload: workload.into(),
            records,
            elapsed,
            extra: Map::new(),
        }
    }

    /// Adds a workload-specific field.
    pub fn with(mut self, field: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(field.to_string(), value.into());
        self
    }

    /// Records per second over the measured interval.
    pub fn records_per_sec(&self) -> f64 {
        self.records as f64 / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// The result as one JSON object on one line.
    pub fn to_json_line(&self) -> String {
        let mut line = Map::new();
        line.insert("workload".into(), self.workload.clone().into());
        line.insert("records".into(), self.records.into());
        line.insert("seconds".into(), self.elapsed.as_secs_f64().into());
        line.insert(
            "records_per_sec".into(),
            self.records_per_sec().round().into(),
        );
        line.extend(self.extra.clone());
        Value::Object(line).to_string()
    }
}

/// Client or instance properties as one JSON object, for a result's fields.
pub fn properties_json(properties: &[(&str, &str)]) -> Value {
    properties
        .iter()
        .map(|(key, value)| (key.to_string(), Value::from(*value)))
        .collect::<Map<_, _>>()
        .into()
}
