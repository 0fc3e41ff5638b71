//! The saga's invariants, checked from what it wrote: every order ends
//! (completed or cancelled) exactly once; no (order, sku) is reserved or
//! released twice; a completed order holds all its lines, a cancelled one
//! released what it reserved; stock is never negative and ends at the initial
//! stock minus the units of the completed orders; every event carries its
//! order's correlation id. A duplicated reservation (what a crash under
//! at-least-once can cause) is a violation.

use super::{Catalog, Observed, Outcome, SagaEvent, StockOutcome};
use std::collections::{BTreeMap, BTreeSet};

/// What the events show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Orders seen (OrderCreated).
    pub orders: usize,
    /// Orders completed.
    pub completed: usize,
    /// Orders cancelled, by reason.
    pub cancelled: BTreeMap<String, usize>,
    /// Orders without an outcome yet (or events of orders not seen yet).
    pub unfinished: BTreeSet<String>,
    /// Cancelled orders with reserved lines not released yet.
    pub unreleased: BTreeSet<String>,
    /// Stock per sku after every reservation and release seen.
    pub final_stock: BTreeMap<String, i64>,
    /// Violated invariants.
    pub problems: Vec<String>,
}

impl Verdict {
    /// Every order ended and every compensation arrived: nothing more will happen.
    pub fn settled(&self) -> bool {
        self.unfinished.is_empty() && self.unreleased.is_empty()
    }

    /// Settled and no invariant violated.
    pub fn holds(&self) -> bool {
        self.settled() && self.problems.is_empty()
    }

    /// How many orders were cancelled.
    pub fn cancelled_total(&self) -> usize {
        self.cancelled.values().sum()
    }
}

/// What one order's events show.
#[derive(Default)]
struct OrderTrace {
    correlation_id: Option<String>,
    items: BTreeMap<String, i64>,
    outcomes: Vec<(Outcome, Option<String>)>,
    reserved: BTreeMap<String, usize>,
    released: BTreeMap<String, usize>,
}

/// The reason's kind, without the order's details ("3 x sku-01 out of stock"
/// counts as "out of stock").
fn reason_kind(reason: Option<&str>) -> String {
    let reason = reason.unwrap_or("no reason");
    if reason.ends_with("out of stock") {
        "out of stock".to_string()
    } else if reason.starts_with("payment failed") {
        "payment failed".to_string()
    } else {
        reason.to_string()
    }
}

/// Checks `events` against the invariants, with `catalog`'s initial stock.
pub fn verify(catalog: &Catalog, events: &[Observed]) -> Verdict {
    let mut verdict = Verdict::default();
    let mut traces: BTreeMap<&str, OrderTrace> = BTreeMap::new();
    let mut stock: BTreeMap<String, i64> = catalog
        .skus()
        .map(|(sku, units)| (sku.to_string(), units))
        .collect();
    let mut uncorrelated = Vec::new();
    for observed in events {
        let trace = traces.entry(&observed.order_id).or_default();
        match &observed.event {
            SagaEvent::Created(order) => {
                if trace.correlation_id.is_some() || !trace.items.is_empty() {
                    verdict
                        .problems
                        .push(format!("{} was created twice", order.order_id));
                }
                trace.correlation_id = observed.correlation_id.clone();
                for item in &order.items {
                    *trace.items.entry(item.sku.clone()).or_insert(0) += i64::from(item.quantity);
                }
                continue;
            }
            SagaEvent::Stock(event) => {
                let units = stock.entry(event.sku.clone()).or_insert(0);
                match event.outcome {
                    StockOutcome::Reserved => {
                        *units -= i64::from(event.quantity);
                        *trace.reserved.entry(event.sku.clone()).or_insert(0) += 1;
                    }
                    StockOutcome::Released => {
                        *units += i64::from(event.quantity);
                        *trace.released.entry(event.sku.clone()).or_insert(0) += 1;
                    }
                    StockOutcome::ReservationFailed => {}
                }
                // The inventory's own count after the event: events of one sku
                // sit on several partitions (they are keyed by order), so a
                // running sum in the order they are read means nothing.
                if event.stock_after < 0 {
                    verdict.problems.push(format!(
                        "stock of {} went negative ({} after {:?} for {})",
                        event.sku, event.stock_after, event.outcome, event.order_id
                    ));
                }
            }
            SagaEvent::Outcome(outcome) => trace
                .outcomes
                .push((outcome.outcome, outcome.reason.clone())),
            SagaEvent::PaymentRequested(_) | SagaEvent::Payment(_) | SagaEvent::Status(_) => {}
        }
        if observed.correlation_id.is_none() {
            uncorrelated.push(format!(
                "{} ({})",
                observed.order_id,
                observed.event.describe()
            ));
        }
    }

    let mut expected_stock = stock.clone();
    for (sku, units) in catalog.skus() {
        expected_stock.insert(sku.to_string(), units);
    }
    for (order_id, trace) in &traces {
        check_order(order_id, trace, &mut verdict, &mut expected_stock);
    }
    for observed in events {
        let expected = traces
            .get(observed.order_id.as_str())
            .and_then(|trace| trace.correlation_id.as_ref());
        if observed.correlation_id.is_some() && observed.correlation_id.as_ref() != expected {
            uncorrelated.push(format!(
                "{} ({}) carries {:?}",
                observed.order_id,
                observed.event.describe(),
                observed.correlation_id
            ));
        }
    }
    if !uncorrelated.is_empty() {
        verdict.problems.push(format!(
            "{} events without their order's correlation id, e.g. {}",
            uncorrelated.len(),
            uncorrelated[..uncorrelated.len().min(3)].join("; ")
        ));
    }
    for (sku, units) in &stock {
        if *units < 0 {
            verdict
                .problems
                .push(format!("stock of {sku} ends negative ({units})"));
        }
    }
    if verdict.unreleased.is_empty() && verdict.unfinished.is_empty() && stock != expected_stock {
        verdict.problems.push(format!(
            "final stock {stock:?} is not the initial stock minus the completed orders' units {expected_stock:?}"
        ));
    }
    verdict.final_stock = stock;
    verdict
}

/// Checks one order's trace; subtracts a completed order's units from `expected_stock`.
fn check_order(
    order_id: &str,
    trace: &OrderTrace,
    verdict: &mut Verdict,
    expected_stock: &mut BTreeMap<String, i64>,
) {
    if trace.items.is_empty() {
        // Events of an order whose OrderCreated was not read (yet).
        verdict.unfinished.insert(order_id.to_string());
        return;
    }
    verdict.orders += 1;
    for (sku, count) in &trace.reserved {
        if *count > 1 {
            verdict
                .problems
                .push(format!("{sku} reserved {count} times for {order_id}"));
        }
    }
    for (sku, count) in &trace.released {
        if *count > trace.reserved.get(sku).copied().unwrap_or(0) {
            verdict.problems.push(format!(
                "{sku} released {count} times for {order_id}, reserved {} times",
                trace.reserved.get(sku).copied().unwrap_or(0)
            ));
        }
    }
    match trace.outcomes.as_slice() {
        [] => {
            verdict.unfinished.insert(order_id.to_string());
        }
        [(Outcome::Completed, _)] => {
            verdict.completed += 1;
            for (sku, units) in &trace.items {
                let holds =
                    trace.reserved.get(sku) == Some(&1) && !trace.released.contains_key(sku);
                if !holds {
                    verdict
                        .problems
                        .push(format!("{order_id} completed without holding {sku}"));
                }
                *expected_stock.entry(sku.clone()).or_insert(0) -= units;
            }
        }
        [(Outcome::Cancelled, reason)] => {
            *verdict
                .cancelled
                .entry(reason_kind(reason.as_deref()))
                .or_insert(0) += 1;
            let released_all = trace
                .reserved
                .keys()
                .all(|sku| trace.released.contains_key(sku));
            if !released_all {
                verdict.unreleased.insert(order_id.to_string());
            }
        }
        several => verdict.problems.push(format!(
            "{order_id} ended {} times: {several:?}",
            several.len()
        )),
    }
}
