//! `TopologyTestDriver`: runs a topology with no broker, deterministically.
//!
//! It creates one task per sub-topology (partition 0) with the same task code the
//! runtime uses, feeds it records piped through typed input topics, captures what
//! sinks produce for typed output topics, pipes records written to topics the
//! topology also reads (repartition topics) back in, and mocks wall-clock time.
//!
//! ```
//! use streams_core::record::Record;
//! use streams_core::topology::{SinkTopic, TopicRef, TopologyBuilder};
//! use streams_core::test_driver::TopologyTestDriver;
//!
//! let mut builder = TopologyBuilder::new();
//! let source = builder.add_source::<String, i64>("source", vec![TopicRef::External("in".into())], None, None);
//! builder.add_sink("sink", SinkTopic::Topic(TopicRef::External("out".into())), None, None, &[source]);
//! let driver = TopologyTestDriver::new(builder.build().unwrap()).unwrap();
//!
//! let input = driver.input_topic::<String, i64>("in").unwrap();
//! let output = driver.output_topic::<String, i64>("out").unwrap();
//! input.pipe("a", 1, 10).unwrap();
//! assert_eq!(output.read().unwrap(), Record::new("a".to_string(), 1, 10));
//! assert!(output.is_empty());
//! ```

mod config;
mod driver;
mod error;
mod input;
mod output;

pub use config::TestDriverConfig;
pub use driver::TopologyTestDriver;
pub use error::TestDriverError;
pub use input::TestInputTopic;
pub use output::TestOutputTopic;
