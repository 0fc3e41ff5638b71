//! The saga coordinator: one saga per order id, kept in the `sagas` store
//! while the order is in flight. It asks the inventory to reserve every line,
//! asks for payment once all are reserved, and ends the order: completed when
//! paid, or cancelled, with compensations (StockReleased for every reserved
//! line), when a reservation or the payment fails, or when the saga's deadline
//! passes (a wall-clock punctuator scans the pending sagas). Every record it
//! emits carries the order's correlation id: the header of the record that
//! caused it, or, for what the punctuator emits, the id kept in the saga.

use super::{
    CORRELATION_ID_HEADER, Item, OrderCreated, OrderOutcome, OrderStatus, Outcome, PaymentEvent,
    PaymentRequested, SagaStep, StockAction, StockCommand, StockEvent, StockOutcome,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use streams_dsl::prelude::*;

/// The store of pending sagas (`String` order id to [`Saga`]).
pub const SAGAS_STORE: &str = "sagas";

/// What reaches the coordinator, merged from its three input topics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SagaInput {
    /// From `saga-orders`.
    Created(OrderCreated),
    /// From `saga-stock-events`.
    Stock(StockEvent),
    /// From `saga-payments`.
    Payment(PaymentEvent),
}

/// What the coordinator emits; the topology routes each kind to its topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SagaOutput {
    /// To the inventory (repartitioned by sku).
    Stock(StockCommand),
    /// To the payment service.
    Payment(PaymentRequested),
    /// The end of the order.
    Outcome(OrderOutcome),
    /// A new step of the order, for the read model.
    Status(OrderStatus),
}

/// The state of one pending order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saga {
    /// The order as created, its lines merged per sku.
    pub order: OrderCreated,
    /// The correlation id of its `OrderCreated`, if it had one.
    pub correlation_id: Option<String>,
    /// Skus reserved so far.
    pub reserved: Vec<String>,
    /// Where it is.
    pub step: SagaStep,
    /// When it times out (wall clock, ms since the epoch).
    pub deadline_ms: i64,
}

/// Timing of the coordinator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SagaTiming {
    /// How long an order may take from creation to its end before it is cancelled.
    pub timeout: Duration,
    /// How often the pending sagas are scanned for passed deadlines.
    pub scan_interval: Duration,
}

impl Default for SagaTiming {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            scan_interval: Duration::from_millis(500),
        }
    }
}

/// The coordinator processor of one task.
pub struct SagaCoordinator {
    timing: SagaTiming,
}

type Ctx<'a> = ProcessorContext<'a, String, SagaOutput>;

impl SagaCoordinator {
    /// A coordinator with `timing`.
    pub fn new(timing: SagaTiming) -> Self {
        Self { timing }
    }

    fn sagas<'c>(
        ctx: &'c mut Ctx<'_>,
    ) -> Result<&'c mut TimestampedKeyValueStore<String, Saga>, ProcessError> {
        ctx.state_store::<TimestampedKeyValueStore<String, Saga>>(SAGAS_STORE)
    }

    fn start(
        &self,
        order: OrderCreated,
        headers: &Headers,
        timestamp: i64,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), ProcessError> {
        if Self::sagas(ctx)?.get(&order.order_id)?.is_some() {
            // A repeated OrderCreated: the saga is under way already.
            return Ok(());
        }
        let deadline_ms = ctx
            .wall_clock_time()
            .saturating_add(i64::try_from(self.timing.timeout.as_millis()).unwrap_or(i64::MAX));
        let saga = Saga {
            order: OrderCreated {
                items: merge_lines(&order.items),
                ..order
            },
            correlation_id: headers
                .last_value(CORRELATION_ID_HEADER)
                .map(|id| String::from_utf8_lossy(id).into_owned()),
            reserved: Vec::new(),
            step: SagaStep::ReservingStock,
            deadline_ms,
        };
        if saga.order.items.is_empty() {
            return cancel(saga, "the order has no items".into(), timestamp, ctx);
        }
        for item in &saga.order.items {
            let command = StockCommand {
                order_id: saga.order.order_id.clone(),
                sku: item.sku.clone(),
                quantity: item.quantity,
                action: StockAction::Reserve,
            };
            emit(&saga, SagaOutput::Stock(command), timestamp, ctx)?;
        }
        emit(
            &saga,
            SagaOutput::Status(status(&saga, None)),
            timestamp,
            ctx,
        )?;
        Self::sagas(ctx)?.put(&saga.order.order_id, &saga, timestamp)?;
        Ok(())
    }

    fn on_stock(
        event: StockEvent,
        headers: Headers,
        timestamp: i64,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), ProcessError> {
        let Some(mut saga) = Self::sagas(ctx)?.get(&event.order_id)?.map(|s| s.value) else {
            if event.outcome == StockOutcome::Reserved {
                // The order ended (cancelled) while this reservation was in
                // flight: give the units back.
                let release = StockCommand {
                    order_id: event.order_id.clone(),
                    sku: event.sku,
                    quantity: event.quantity,
                    action: StockAction::Release,
                };
                ctx.forward(
                    Record::new(event.order_id, SagaOutput::Stock(release), timestamp)
                        .with_headers(headers),
                )?;
            }
            return Ok(());
        };
        match event.outcome {
            StockOutcome::Reserved if !saga.reserved.contains(&event.sku) => {
                saga.reserved.push(event.sku);
                if saga.reserved.len() < saga.order.items.len() {
                    Self::sagas(ctx)?.put(&saga.order.order_id, &saga, timestamp)?;
                    return Ok(());
                }
                saga.step = SagaStep::AwaitingPayment;
                let request = PaymentRequested {
                    order_id: saga.order.order_id.clone(),
                    customer: saga.order.customer.clone(),
                    amount_cents: saga.order.amount_cents,
                };
                emit(&saga, SagaOutput::Payment(request), timestamp, ctx)?;
                emit(
                    &saga,
                    SagaOutput::Status(status(&saga, None)),
                    timestamp,
                    ctx,
                )?;
                Self::sagas(ctx)?.put(&saga.order.order_id, &saga, timestamp)?;
                Ok(())
            }
            StockOutcome::ReservationFailed => {
                let reason = format!("{} x {} out of stock", event.quantity, event.sku);
                cancel(saga, reason, timestamp, ctx)
            }
            // A repeated reservation, or the answer to a release.
            StockOutcome::Reserved | StockOutcome::Released => Ok(()),
        }
    }

    fn on_payment(
        payment: PaymentEvent,
        timestamp: i64,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), ProcessError> {
        let Some(mut saga) = Self::sagas(ctx)?.get(&payment.order_id)?.map(|s| s.value) else {
            // The saga ended (timed out) before the answer came.
            return Ok(());
        };
        if saga.step != SagaStep::AwaitingPayment {
            return Ok(());
        }
        if !payment.completed {
            let reason = payment
                .reason
                .unwrap_or_else(|| "payment failed".to_string());
            return cancel(saga, format!("payment failed: {reason}"), timestamp, ctx);
        }
        saga.step = SagaStep::Completed;
        let outcome = OrderOutcome {
            order_id: saga.order.order_id.clone(),
            outcome: Outcome::Completed,
            reason: None,
        };
        emit(&saga, SagaOutput::Outcome(outcome), timestamp, ctx)?;
        emit(
            &saga,
            SagaOutput::Status(status(&saga, None)),
            timestamp,
            ctx,
        )?;
        Self::sagas(ctx)?.delete(&saga.order.order_id)?;
        Ok(())
    }
}

impl Processor<String, SagaInput, String, SagaOutput> for SagaCoordinator {
    fn init(&mut self, ctx: &mut Ctx<'_>) -> Result<(), ProcessError> {
        ctx.schedule(self.timing.scan_interval, PunctuationType::WallClockTime);
        Ok(())
    }

    fn process(
        &mut self,
        record: Record<String, SagaInput>,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), ProcessError> {
        let Record {
            value,
            timestamp,
            headers,
            ..
        } = record;
        match value {
            SagaInput::Created(order) => self.start(order, &headers, timestamp, ctx),
            SagaInput::Stock(event) => Self::on_stock(event, headers, timestamp, ctx),
            SagaInput::Payment(payment) => Self::on_payment(payment, timestamp, ctx),
        }
    }

    fn punctuate(
        &mut self,
        _punctuator: PunctuatorId,
        now: i64,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), ProcessError> {
        let overdue: Vec<Saga> = Self::sagas(ctx)?
            .all()?
            .into_iter()
            .map(|(_, saga)| saga.value)
            .filter(|saga| saga.deadline_ms <= now)
            .collect();
        for saga in overdue {
            let reason = match saga.step {
                SagaStep::ReservingStock => "timed out waiting for stock",
                _ => "timed out waiting for payment",
            };
            cancel(saga, reason.to_string(), now, ctx)?;
        }
        Ok(())
    }
}

/// Ends `saga` as cancelled: releases every reserved line, emits
/// OrderCancelled and the new status, and forgets the saga.
fn cancel(
    mut saga: Saga,
    reason: String,
    timestamp: i64,
    ctx: &mut Ctx<'_>,
) -> Result<(), ProcessError> {
    for item in saga
        .order
        .items
        .iter()
        .filter(|i| saga.reserved.contains(&i.sku))
    {
        let release = StockCommand {
            order_id: saga.order.order_id.clone(),
            sku: item.sku.clone(),
            quantity: item.quantity,
            action: StockAction::Release,
        };
        emit(&saga, SagaOutput::Stock(release), timestamp, ctx)?;
    }
    saga.step = SagaStep::Cancelled;
    let outcome = OrderOutcome {
        order_id: saga.order.order_id.clone(),
        outcome: Outcome::Cancelled,
        reason: Some(reason.clone()),
    };
    emit(&saga, SagaOutput::Outcome(outcome), timestamp, ctx)?;
    emit(
        &saga,
        SagaOutput::Status(status(&saga, Some(reason))),
        timestamp,
        ctx,
    )?;
    SagaCoordinator::sagas(ctx)?.delete(&saga.order.order_id)?;
    Ok(())
}

/// Forwards `output` of `saga`, with its correlation id as a header.
fn emit(
    saga: &Saga,
    output: SagaOutput,
    timestamp: i64,
    ctx: &mut Ctx<'_>,
) -> Result<(), ProcessError> {
    let mut headers = Headers::new();
    if let Some(id) = &saga.correlation_id {
        headers.add(CORRELATION_ID_HEADER, Some(id.as_bytes().to_vec()));
    }
    ctx.forward(Record::new(saga.order.order_id.clone(), output, timestamp).with_headers(headers))
}

/// The read-model row of `saga` now.
fn status(saga: &Saga, reason: Option<String>) -> OrderStatus {
    OrderStatus {
        order_id: saga.order.order_id.clone(),
        customer: saga.order.customer.clone(),
        step: saga.step,
        reason,
        coupon: saga.order.coupon.clone(),
    }
}

/// The lines of an order with one line per sku (quantities of repeated skus
/// added up), so each sku is reserved once per order.
fn merge_lines(items: &[Item]) -> Vec<Item> {
    let mut merged: BTreeMap<&str, i32> = BTreeMap::new();
    for item in items {
        let quantity = merged.entry(&item.sku).or_insert(0);
        *quantity = quantity.saturating_add(item.quantity);
    }
    merged
        .into_iter()
        .map(|(sku, quantity)| Item {
            sku: sku.to_string(),
            quantity,
        })
        .collect()
}
