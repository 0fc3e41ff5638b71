//! The inventory service: a stateful processor keyed by sku (its input is the
//! `stock-requests` repartition topic) holding each sku's available units in
//! the `stock-levels` store. A reservation takes units only if enough are
//! there, so stock never goes negative; a release puts them back. Each answer
//! is keyed by order id for the coordinator and keeps the command's headers
//! (its correlation id).

use super::{Catalog, StockAction, StockCommand, StockEvent, StockOutcome};
use streams_dsl::prelude::*;

/// The store of available units per sku (`String` sku to `i64`).
pub const STOCK_LEVELS_STORE: &str = "stock-levels";

/// The inventory processor of one task.
pub struct Inventory {
    catalog: Catalog,
}

impl Inventory {
    /// An inventory counting down from `catalog`'s initial stock.
    pub fn new(catalog: Catalog) -> Self {
        Self { catalog }
    }
}

impl Processor<String, StockCommand, String, StockEvent> for Inventory {
    fn process(
        &mut self,
        record: Record<String, StockCommand>,
        ctx: &mut ProcessorContext<'_, String, StockEvent>,
    ) -> Result<(), ProcessError> {
        let command = &record.value;
        let levels =
            ctx.state_store::<TimestampedKeyValueStore<String, i64>>(STOCK_LEVELS_STORE)?;
        let Some(initial) = self.catalog.initial_stock(&command.sku) else {
            tracing::warn!(sku = %command.sku, order = %command.order_id, "order for an unknown sku");
            return forward(ctx, &record, StockOutcome::ReservationFailed, 0);
        };
        let available = levels
            .get(&command.sku)?
            .map_or(initial, |stored| stored.value);
        let quantity = i64::from(command.quantity);
        let (outcome, after) = match command.action {
            StockAction::Reserve if quantity > 0 && available >= quantity => {
                (StockOutcome::Reserved, available - quantity)
            }
            StockAction::Reserve => (StockOutcome::ReservationFailed, available),
            StockAction::Release => (StockOutcome::Released, available + quantity),
        };
        if after != available {
            levels.put(&command.sku, &after, record.timestamp)?;
        }
        forward(ctx, &record, outcome, after)
    }
}

/// Sends the answer to `record`, keyed by its order, with its headers.
fn forward(
    ctx: &mut ProcessorContext<'_, String, StockEvent>,
    record: &Record<String, StockCommand>,
    outcome: StockOutcome,
    stock_after: i64,
) -> Result<(), ProcessError> {
    let command = &record.value;
    let event = StockEvent {
        order_id: command.order_id.clone(),
        sku: command.sku.clone(),
        quantity: command.quantity,
        outcome,
        stock_after,
    };
    ctx.forward(
        Record::new(command.order_id.clone(), event, record.timestamp)
            .with_headers(record.headers.clone()),
    )
}
