//! State stores as the runtime sees them: how a topology declares a store
//! ([`StoreBuilder`]), how a task opens one per task ([`StoreInit`]), and the
//! life cycle every opened store offers ([`TaskStore`]).

mod builder;
mod registry;

pub use builder::{ChangelogSpec, StoreBuilder, StoreInit, TaskStore};
pub(crate) use registry::TaskStores;
