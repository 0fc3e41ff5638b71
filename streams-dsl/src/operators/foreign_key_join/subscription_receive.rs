//! The right side of a foreign-key join, on each subscription: keeps it in
//! the subscription store (keyed by foreign key, then primary key) or removes
//! it, and answers it with the current right row as its instruction says
//! (Kafka Streams' `SubscriptionReceiveProcessorSupplier` and
//! `SubscriptionJoinProcessorSupplier` in one).
//!
//! A subscription with a null foreign key (a left join's row without one) is
//! answered with "no right row" and not stored; any other one with a null key
//! is dropped and counted.

use super::combined_key::CombinedKey;
use super::response::SubscriptionResponse;
use super::subscription::{Instruction, Subscription};
use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::Record;
use streams_core::state::TimestampedKeyValueStore;

/// Stores subscriptions and answers them.
pub(crate) struct SubscriptionReceive {
    /// The subscription store: `CombinedKey<KO, K>` to `Subscription<K>`.
    pub(crate) subscriptions: Arc<str>,
    /// The right table's store.
    pub(crate) right_store: Arc<str>,
}

impl<K, KO, VO> Processor<Option<KO>, Subscription<K>, K, SubscriptionResponse<VO>>
    for SubscriptionReceive
where
    K: Clone + 'static,
    KO: Clone + 'static,
    VO: Clone + 'static,
{
    fn process(
        &mut self,
        record: Record<Option<KO>, Subscription<K>>,
        ctx: &mut ProcessorContext<'_, K, SubscriptionResponse<VO>>,
    ) -> Result<(), ProcessError> {
        let Record {
            key,
            value: subscription,
            timestamp,
            headers,
        } = record;
        let instruction = subscription.instruction;
        let right = match key {
            None if instruction == Instruction::PropagateNullIfNoForeignValue => None,
            None => {
                tracing::warn!(store = %self.subscriptions, "skipping a subscription with a null foreign key");
                ctx.record_dropped();
                return Ok(());
            }
            Some(foreign_key) => {
                let store_key =
                    CombinedKey::new(foreign_key.clone(), subscription.primary_key.clone());
                let store = ctx
                    .state_store::<TimestampedKeyValueStore<CombinedKey<KO, K>, Subscription<K>>>(
                        &self.subscriptions,
                    )?;
                if instruction.unsubscribes() {
                    store.delete(&store_key)?;
                } else {
                    store.put(&store_key, &subscription, timestamp)?;
                }
                ctx.state_store::<TimestampedKeyValueStore<KO, VO>>(&self.right_store)?
                    .get(&foreign_key)?
            }
        };
        let timestamp = right
            .as_ref()
            .map_or(timestamp, |right| right.timestamp.max(timestamp));
        let foreign_value = match instruction {
            Instruction::DeleteKeyNoPropagate => return Ok(()),
            Instruction::PropagateOnlyIfForeignValue if right.is_none() => return Ok(()),
            Instruction::DeleteKeyAndPropagate => None,
            Instruction::PropagateNullIfNoForeignValue
            | Instruction::PropagateOnlyIfForeignValue => right.map(|right| right.value),
        };
        let response = SubscriptionResponse {
            hash: subscription.hash,
            foreign_value,
            primary_partition: subscription.primary_partition,
        };
        ctx.forward(
            Record::new(subscription.primary_key, response, timestamp).with_headers(headers),
        )
    }
}
