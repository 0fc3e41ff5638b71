//! The right side of a foreign-key join, on each update of a right row: every
//! left row subscribed to its key (a prefix scan of the subscription store)
//! gets a response with the new right row, or "no right row" for a delete
//! (Kafka Streams' `ForeignTableJoinProcessorSupplier`).

use super::combined_key::CombinedKey;
use super::response::SubscriptionResponse;
use super::subscription::Subscription;
use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::{Change, Record};
use streams_core::state::TimestampedKeyValueStore;

/// Answers the subscribers of each updated right row.
pub(crate) struct ForeignUpdate {
    /// The subscription store: `CombinedKey<KO, K>` to `Subscription<K>`.
    pub(crate) subscriptions: Arc<str>,
}

impl<K, KO, VO> Processor<KO, Change<VO>, K, SubscriptionResponse<VO>> for ForeignUpdate
where
    K: Clone + 'static,
    KO: Clone + 'static,
    VO: Clone + 'static,
{
    fn process(
        &mut self,
        record: Record<KO, Change<VO>>,
        ctx: &mut ProcessorContext<'_, K, SubscriptionResponse<VO>>,
    ) -> Result<(), ProcessError> {
        let Record {
            key,
            value,
            timestamp,
            headers,
        } = record;
        let subscribers = ctx
            .state_store::<TimestampedKeyValueStore<CombinedKey<KO, K>, Subscription<K>>>(
                &self.subscriptions,
            )?
            .prefix_scan(&CombinedKey::prefix(key))?;
        for (subscriber, subscription) in subscribers {
            let Some(primary_key) = subscriber.primary_key else {
                continue;
            };
            let response = SubscriptionResponse {
                hash: subscription.value.hash,
                foreign_value: value.new.clone(),
                primary_partition: subscription.value.primary_partition,
            };
            ctx.forward(
                Record::new(primary_key, response, timestamp).with_headers(headers.clone()),
            )?;
        }
        Ok(())
    }
}
