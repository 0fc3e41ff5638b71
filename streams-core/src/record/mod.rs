//! Records as they flow through a topology: typed [`Record`]s between processors,
//! their [`Headers`], and the raw byte-level records that enter and leave a task.

mod change;
mod headers;
mod raw;
mod typed;
mod windowed;

pub use change::Change;
pub use headers::{Header, Headers};
pub use raw::{ConsumedRecord, ProducedRecord, RecordMetadata};
pub use typed::Record;
pub use windowed::{Window, Windowed};
