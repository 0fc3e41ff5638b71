//! The left side of a foreign-key join, on each update of a left row: which
//! subscriptions to send, keyed by foreign key, to the right side (Kafka
//! Streams' `SubscriptionSendProcessorSupplier`).
//!
//! Inner join: a new row subscribes to its foreign key, answered only if the
//! right row exists; a row whose foreign key changed unsubscribes from the old
//! one silently and subscribes to the new one, answered either way (so a
//! joined row that has no new right row is deleted); a row that is deleted,
//! or whose foreign key becomes null, unsubscribes and is answered with "no
//! right row" (a delete). A null foreign key subscribes to nothing (the
//! update is counted as dropped).
//!
//! Left join: every update is answered, so every left row gets a result: a
//! changed foreign key unsubscribes from the old one silently, and the update
//! (a delete or a null foreign key included) subscribes to the new one. A
//! null foreign key (or a deleted row) is sent with a null key: the right
//! side answers it with "no right row" at once, without storing it.

use super::hash::value_hash;
use super::subscription::{Instruction, Subscription};
use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::{Change, Record};
use streams_core::state::TimestampedKeyValueStore;

/// Extracts a left row's foreign key; `None` for a row that refers to none.
pub(crate) type ForeignKeyExtractor<V, KO> = Arc<dyn Fn(&V) -> Option<KO> + Send + Sync>;

/// Turns left-row updates into subscriptions.
pub(crate) struct SubscriptionSend<V, KO> {
    pub(crate) foreign_key: ForeignKeyExtractor<V, KO>,
    /// The left table's store, whose value serde serializes values for their hash.
    pub(crate) left_store: Arc<str>,
    pub(crate) left_join: bool,
}

/// The subscriptions an update sends, in order: the old row's and the new
/// row's foreign keys (outer `None`: no row).
fn subscriptions<KO: PartialEq>(
    left_join: bool,
    old: Option<Option<KO>>,
    new: Option<Option<KO>>,
) -> Vec<(Option<KO>, Instruction)> {
    use Instruction::*;
    let had_row = old.is_some();
    let old = old.flatten();
    if left_join {
        if !had_row && new.is_none() {
            return Vec::new();
        }
        let new = new.flatten();
        let mut sent = Vec::with_capacity(2);
        if let Some(old) = old.filter(|old| new.as_ref() != Some(old)) {
            sent.push((Some(old), DeleteKeyNoPropagate));
        }
        sent.push((new, PropagateNullIfNoForeignValue));
        return sent;
    }
    match (old, new) {
        (old, Some(Some(new))) => match old {
            Some(old) if old != new => vec![
                (Some(old), DeleteKeyNoPropagate),
                (Some(new), PropagateNullIfNoForeignValue),
            ],
            _ => vec![(Some(new), PropagateOnlyIfForeignValue)],
        },
        // Deleted, or a null foreign key now: the old result goes.
        (Some(old), _) => vec![(Some(old), DeleteKeyAndPropagate)],
        (None, _) => Vec::new(),
    }
}

impl<K, V, KO> Processor<K, Change<V>, Option<KO>, Subscription<K>> for SubscriptionSend<V, KO>
where
    K: Clone + 'static,
    V: Clone + 'static,
    KO: Clone + PartialEq + 'static,
{
    fn process(
        &mut self,
        record: Record<K, Change<V>>,
        ctx: &mut ProcessorContext<'_, Option<KO>, Subscription<K>>,
    ) -> Result<(), ProcessError> {
        let Record {
            key,
            value,
            timestamp,
            headers,
        } = record;
        let old = value.old.as_ref().map(|v| (self.foreign_key)(v));
        let new = value.new.as_ref().map(|v| (self.foreign_key)(v));
        if !self.left_join && matches!(new, Some(None)) {
            tracing::warn!(store = %self.left_store, "skipping a left row with a null foreign key in a foreign-key join");
            ctx.record_dropped();
        }
        let sent = subscriptions(self.left_join, old, new);
        if sent.is_empty() {
            return Ok(());
        }
        let hash = match &value.new {
            Some(new) => {
                let store = ctx.state_store::<TimestampedKeyValueStore<K, V>>(&self.left_store)?;
                Some(value_hash(&store.value_bytes(new)?)?)
            }
            None => None,
        };
        let primary_partition = ctx.task_id().partition;
        for (foreign_key, instruction) in sent {
            let subscription = Subscription {
                hash,
                instruction,
                primary_key: key.clone(),
                primary_partition,
            };
            ctx.forward(
                Record::new(foreign_key, subscription, timestamp).with_headers(headers.clone()),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Instruction::*;
    use super::*;

    #[test]
    fn inner_join_instructions_follow_kafka_streams() {
        let sent = |old, new| subscriptions(false, old, new);
        assert_eq!(
            sent(None, Some(Some(1))),
            vec![(Some(1), PropagateOnlyIfForeignValue)]
        );
        assert_eq!(
            sent(Some(Some(1)), Some(Some(1))),
            vec![(Some(1), PropagateOnlyIfForeignValue)]
        );
        assert_eq!(
            sent(Some(Some(1)), Some(Some(2))),
            vec![
                (Some(1), DeleteKeyNoPropagate),
                (Some(2), PropagateNullIfNoForeignValue)
            ]
        );
        assert_eq!(
            sent(Some(None), Some(Some(2))),
            vec![(Some(2), PropagateOnlyIfForeignValue)]
        );
        assert_eq!(
            sent(Some(Some(1)), Some(None)),
            vec![(Some(1), DeleteKeyAndPropagate)]
        );
        assert_eq!(
            sent(Some(Some(1)), None),
            vec![(Some(1), DeleteKeyAndPropagate)]
        );
        assert!(sent(Some(None), None).is_empty());
        assert!(sent(None, Some(None)).is_empty());
        assert!(sent(None, None).is_empty());
    }

    #[test]
    fn left_join_instructions_follow_kafka_streams() {
        let sent = |old, new| subscriptions(true, old, new);
        assert_eq!(
            sent(None, Some(Some(1))),
            vec![(Some(1), PropagateNullIfNoForeignValue)]
        );
        assert_eq!(
            sent(Some(Some(1)), Some(Some(1))),
            vec![(Some(1), PropagateNullIfNoForeignValue)]
        );
        assert_eq!(
            sent(Some(Some(1)), Some(Some(2))),
            vec![
                (Some(1), DeleteKeyNoPropagate),
                (Some(2), PropagateNullIfNoForeignValue)
            ]
        );
        assert_eq!(
            sent(Some(Some(1)), None),
            vec![
                (Some(1), DeleteKeyNoPropagate),
                (None, PropagateNullIfNoForeignValue)
            ]
        );
        assert_eq!(
            sent(None, Some(None)),
            vec![(None, PropagateNullIfNoForeignValue)]
        );
        assert_eq!(
            sent(Some(None), None),
            vec![(None, PropagateNullIfNoForeignValue)]
        );
        assert!(sent(None, None).is_empty());
    }
}
