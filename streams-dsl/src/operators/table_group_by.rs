//! `KTable::group_by`: re-keys table rows, sending the old row's contribution to
//! be subtracted under its old key and the new row's to be added under its new key.

use std::sync::Arc;
use streams_core::error::ProcessError;
use streams_core::processor::{Processor, ProcessorContext};
use streams_core::record::{Change, Record};

/// The selector of `KTable::group_by`.
pub(crate) type RowSelector<K, V, K2, V2> = Arc<dyn Fn(&K, V) -> (K2, V2) + Send + Sync>;

/// Maps each row update to a subtraction (old row) and an addition (new row).
pub(crate) struct TableGroupBy<K, V, K2, V2> {
    pub(crate) selector: RowSelector<K, V, K2, V2>,
}

impl<K, V, K2: Clone, V2: Clone> Processor<K, Change<V>, K2, Change<V2>>
    for TableGroupBy<K, V, K2, V2>
{
    fn process(
        &mut self,
        record: Record<K, Change<V>>,
        ctx: &mut ProcessorContext<'_, K2, Change<V2>>,
    ) -> Result<(), ProcessError> {
        let Record {
            key,
            value,
            timestamp,
            headers,
        } = record;
        // Subtract first, so an update that keeps the key nets out correctly.
        if let Some(old) = value.old {
            let (old_key, old_value) = (self.selector)(&key, old);
            ctx.forward(Record {
                key: old_key,
                value: Change::new(None, Some(old_value)),
                timestamp,
                headers: headers.clone(),
            })?;
        }
        if let Some(new) = value.new {
            let (new_key, new_value) = (self.selector)(&key, new);
            ctx.forward(Record {
                key: new_key,
                value: Change::new(Some(new_value), None),
                timestamp,
                headers,
            })?;
        }
        Ok(())
    }
}
