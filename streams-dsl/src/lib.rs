//! The typed DSL of rstreams: build a topology from [`KStream`] operators the way
//! Kafka Streams' `StreamsBuilder` does, with types checked by the compiler.
//!
//! ```
//! use streams_dsl::prelude::*;
//!
//! let builder = StreamsBuilder::new();
//! builder
//!     .stream::<String, i64>("payments", Consumed::default())
//!     .filter(|_card, cents| *cents >= 10_000)
//!     .map_values(|cents| format!("large payment: {cents} cents"))
//!     .to("large-payments", Produced::default());
//! let topology = builder.build().unwrap();
//!
//! let driver = TopologyTestDriver::new(topology).unwrap();
//! let payments = driver.input_topic::<String, i64>("payments").unwrap();
//! let alerts = driver.output_topic::<String, String>("large-payments").unwrap();
//! payments.pipe("card-1", 50_i64, 1_000).unwrap();
//! payments.pipe("card-2", 25_000_i64, 2_000).unwrap();
//! assert_eq!(alerts.read_key_value().unwrap(), ("card-2".into(), "large payment: 25000 cents".into()));
//! assert!(alerts.is_empty());
//! ```
#![warn(clippy::unwrap_used, clippy::expect_used)]

mod branched;
mod buffer_config;
mod buffer_full;
mod builder;
mod cogroup_input;
mod cogroup_update;
mod cogrouped;
mod consumed;
mod emit_strategy;
mod global_ktable;
mod grouped;
mod grouping;
mod joined;
mod kstream;
mod kstream_fallible;
mod kstream_global_join;
mod kstream_retry;
mod kstream_retry_topics;
mod ktable;
mod ktable_foreign_key_join;
mod materialized;
mod operators;
mod plan;
pub mod prelude;
mod printed;
mod produced;
mod repartitioned;
mod retry_topics;
mod session_windowed;
mod session_windowed_cogrouped;
mod sliding_windowed;
mod sliding_windowed_cogrouped;
mod store_options;
mod stream_join;
mod stream_joined;
mod suppressed;
mod time_windowed_cogrouped;
mod windowed;
mod windowed_aggregation;
mod windowed_cogrouped;
mod windowed_kstream;
pub mod windows;

pub use branched::{BranchedKStream, Branches};
pub use buffer_config::{BufferConfig, StrictBufferConfig};
pub use buffer_full::SuppressionBufferFull;
pub use builder::StreamsBuilder;
pub use cogrouped::CogroupedKStream;
pub use consumed::Consumed;
pub use emit_strategy::EmitStrategy;
pub use global_ktable::GlobalKTable;
pub use grouped::{KGroupedStream, KGroupedTable};
pub use grouping::Grouped;
pub use joined::Joined;
pub use kstream::KStream;
pub use ktable::KTable;
pub use materialized::Materialized;
pub use printed::Printed;
pub use produced::Produced;
pub use repartitioned::Repartitioned;
pub use retry_topics::{RetryTopicHeaders, RetryTopics};
pub use session_windowed::SessionWindowedKStream;
pub use session_windowed_cogrouped::SessionWindowedCogroupedKStream;
pub use sliding_windowed::SlidingWindowedKStream;
pub use sliding_windowed_cogrouped::SlidingWindowedCogroupedKStream;
pub use store_options::StoreType;
pub use stream_joined::StreamJoined;
pub use suppressed::Suppressed;
pub use time_windowed_cogrouped::TimeWindowedCogroupedKStream;
pub use windowed::TimeWindowedKStream;
pub use windowed_cogrouped::WindowedCogroupedKStream;
pub use windowed_kstream::WindowedKStream;

/// What keys and values flowing through the DSL must be: cloneable (a record is
/// cloned only when a node forwards to several children) and owned.
pub trait Data: Clone + 'static {}

impl<T: Clone + 'static> Data for T {}
