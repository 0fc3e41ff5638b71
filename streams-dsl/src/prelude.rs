//! The one import an application needs: `use streams_dsl::prelude::*;`.

pub use crate::windows::{JoinWindows, SessionWindows, SlidingWindows, TimeWindows};
pub use crate::{
    BranchedKStream, Branches, BufferConfig, CogroupedKStream, Consumed, Data, EmitStrategy,
    GlobalKTable, Grouped, Joined, KGroupedStream, KGroupedTable, KStream, KTable, Materialized,
    Printed, Produced, Repartitioned, RetryTopicHeaders, RetryTopics,
    SessionWindowedCogroupedKStream, SessionWindowedKStream, SlidingWindowedCogroupedKStream,
    SlidingWindowedKStream, StoreType, StreamJoined, StreamsBuilder, StrictBufferConfig,
    Suppressed, SuppressionBufferFull, TimeWindowedCogroupedKStream, TimeWindowedKStream,
};
pub use streams_core::error::{ProcessError, StreamsError};
pub use streams_core::handler::{
    DeserializationHandler, ErrorHandler, ErrorStage, HandlerResponse,
};
pub use streams_core::partitioner::StreamPartitioner;
pub use streams_core::processor::{
    ExtractorInput, FailOnInvalidTimestamp, FixedKeyContext, FixedKeyProcessor, FixedKeyRecord,
    LogAndSkipOnInvalidTimestamp, Processor, ProcessorContext, PunctuationType, PunctuatorId,
    RetryPolicy, TimestampExtractionError, TimestampExtractor, UsePartitionTimeOnInvalidTimestamp,
    WallclockTimestampExtractor,
};
pub use streams_core::record::{Change, Headers, Record, Window, Windowed};
pub use streams_core::runtime::{
    KafkaStreams, ProcessingGuarantee, RuntimeError, StreamsConfig, StreamsMetrics, StreamsState,
};
pub use streams_core::serde::{
    BincodeSerde, BytesSerde, F64Serde, I32Serde, I64Serde, JsonSerde, OptionSerde, ProtobufSerde,
    Serde, SerdeContext, SerdeError, StringSerde, U64Serde, UnitSerde, VecSerde, WindowedSerde,
};
pub use streams_core::state::{
    JoinGraceBuffer, KeyValueStoreBuilder, PutOutcome, SuppressionBuffer, TimestampedKeyValueStore,
    TimestampedWindowStore, TypedSessionStore, ValueAndTimestamp, VersionedKeyValueStore,
    VersionedRecord,
};
pub use streams_core::test_driver::{
    TestDriverConfig, TestInputTopic, TestOutputTopic, TopologyTestDriver,
};
pub use streams_core::topology::{
    OffsetResetPolicy, Topology, TopologyError, TopologyOptimization,
};
