//! Request handlers, one module per API (or family of APIs), each an `impl Broker`
//! block with one `async fn` per API called from the dispatch table.

mod admin;
mod api_versions;
mod fetch;
mod find_coordinator;
mod groups;
mod list_offsets;
mod metadata;
mod produce;
mod transactions;

use kafka_protocol::messages::TopicName;
use kafka_protocol::protocol::StrBytes;

/// A protocol topic name from a string.
pub(crate) fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_owned()))
}

/// A protocol string from a string.
pub(crate) fn str_bytes(text: &str) -> StrBytes {
    StrBytes::from_string(text.to_owned())
}
