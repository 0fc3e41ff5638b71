//! The Processor API: user-written processors, the context they forward through,
//! and punctuation (scheduled callbacks on stream time or wall-clock time).

mod context;
mod fixed_key;
mod punctuation;
mod retry;
mod store_access;
mod timestamp_extractor;
mod traits;

pub use context::ProcessorContext;
pub use fixed_key::{FixedKeyAdapter, FixedKeyContext, FixedKeyProcessor, FixedKeyRecord};
pub(crate) use punctuation::PunctuationQueue;
pub use punctuation::{PunctuationType, PunctuatorId};
pub use retry::RetryPolicy;
pub use store_access::StoreAccess;
pub use timestamp_extractor::{
    ExtractorInput, FailOnInvalidTimestamp, LogAndSkipOnInvalidTimestamp, TimestampExtractionError,
    TimestampExtractor, TimestampExtractorRef, UNKNOWN_PARTITION_TIME,
    UsePartitionTimeOnInvalidTimestamp, WallclockTimestampExtractor,
};
pub use traits::Processor;
