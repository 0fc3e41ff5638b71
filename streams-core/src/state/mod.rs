//! State stores as the runtime sees them: how a topology declares a store
//! ([`StoreBuilder`]), how a task opens one per task ([`StoreInit`]), and the
//! life cycle every opened store offers ([`TaskStore`]). Typed stores:
//! timestamped key-value, window, session and versioned key-value
//! ([`VersionedKeyValueStore`]) ones.

mod buffered_change;
mod builder;
mod codec;
pub(crate) use codec::with_timestamp;
mod flushed;
mod global_store;
mod join_grace_buffer;
mod join_grace_buffer_builder;
mod key_value_builder;
mod registry;
mod session_builder;
mod suppression_buffer;
mod suppression_buffer_builder;
mod time_ordered_buffer_builder;
mod timestamped_key_value;
mod timestamped_window;
mod typed_session;
mod versioned_builder;
mod versioned_key_value;
mod window_builder;

pub use builder::{ByteStoreFacade, ChangelogSpec, StoreBuilder, StoreInit, TaskStore};
pub use global_store::{
    GlobalKeyValueStore, GlobalStore, GlobalStoreBuilder, GlobalStores, GlobalTableBuilder,
    OpenedGlobalStore,
};
pub use join_grace_buffer::JoinGraceBuffer;
pub use join_grace_buffer_builder::JoinGraceBufferBuilder;
pub use key_value_builder::KeyValueStoreBuilder;
pub(crate) use registry::TaskStores;
pub use session_builder::SessionStoreBuilder;
/// A changelog record as stores restore it: binary key, value or `None` (a delete).
pub use streams_state::KeyValueUpdate;
/// What a write to a versioned store did (latest, into the history, rejected).
pub use streams_state::PutOutcome;
pub use suppression_buffer::{BufferedUpdates, SuppressionBuffer};
pub use suppression_buffer_builder::SuppressionBufferBuilder;
pub use time_ordered_buffer_builder::TimeOrderedBufferBuilder;
pub(crate) use time_ordered_buffer_builder::TimeOrderedBufferKind;
pub use timestamped_key_value::{KeyLookup, TimestampedKeyValueStore, ValueAndTimestamp};
pub use timestamped_window::{TimestampedWindowStore, WindowChanges, WindowEntries};
pub use typed_session::{KeyedSessions, SessionChanges, Sessions, TypedSessionStore};
pub use versioned_builder::VersionedStoreBuilder;
pub use versioned_key_value::{VersionedKeyValueStore, VersionedRecord};
pub use window_builder::WindowStoreBuilder;
