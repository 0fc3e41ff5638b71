//! The one import an application needs: `use streams_dsl::prelude::*;`.

pub use crate::{
    BranchedKStream, Branches, Consumed, Data, KStream, Produced, Repartitioned, StreamsBuilder,
};
pub use streams_core::error::{ProcessError, StreamsError};
pub use streams_core::handler::DeserializationHandler;
pub use streams_core::processor::{
    FixedKeyContext, FixedKeyProcessor, FixedKeyRecord, Processor, ProcessorContext,
    PunctuationType, PunctuatorId,
};
pub use streams_core::record::{Headers, Record};
pub use streams_core::serde::{
    BincodeSerde, BytesSerde, F64Serde, I32Serde, I64Serde, JsonSerde, OptionSerde, ProtobufSerde,
    Serde, SerdeError, StringSerde, U64Serde, UnitSerde, VecSerde,
};
pub use streams_core::test_driver::{
    TestDriverConfig, TestInputTopic, TestOutputTopic, TopologyTestDriver,
};
pub use streams_core::topology::{Topology, TopologyError};
