//! `metrics.recording.level`: which metrics are recorded.

use std::fmt;
use std::str::FromStr;

/// Which metrics are recorded (Kafka Streams' `metrics.recording.level`, plus
/// `OFF`, which records none: for measuring what metrics cost).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum RecordingLevel {
    /// Nothing is recorded (an rstreams addition).
    Off,
    /// Thread-level metrics, task counters, consumer lag and restoration (the
    /// default, as in Kafka Streams).
    #[default]
    Info,
    /// Also task and processor-node latencies and counts.
    Debug,
    /// Everything DEBUG records (Kafka's TRACE adds RocksDB internals, which are
    /// not exported yet).
    Trace,
}

impl RecordingLevel {
    /// Whether metrics of `level` are recorded at this level.
    pub fn records(self, level: RecordingLevel) -> bool {
        self != RecordingLevel::Off && level <= self
    }
}

impl FromStr for RecordingLevel {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_uppercase().as_str() {
            "OFF" => Ok(Self::Off),
            "INFO" => Ok(Self::Info),
            "DEBUG" => Ok(Self::Debug),
            "TRACE" => Ok(Self::Trace),
            _ => Err("use INFO, DEBUG, TRACE or OFF".to_string()),
        }
    }
}

impl fmt::Display for RecordingLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Off => "OFF",
            Self::Info => "INFO",
            Self::Debug => "DEBUG",
            Self::Trace => "TRACE",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_and_nest() {
        assert_eq!("debug".parse::<RecordingLevel>(), Ok(RecordingLevel::Debug));
        assert!("loud".parse::<RecordingLevel>().is_err());
        assert!(RecordingLevel::Info.records(RecordingLevel::Info));
        assert!(!RecordingLevel::Info.records(RecordingLevel::Debug));
        assert!(RecordingLevel::Trace.records(RecordingLevel::Debug));
        assert!(!RecordingLevel::Off.records(RecordingLevel::Info));
    }
}
