//! Deterministic orders for the saga: the same seed gives the same orders,
//! customers, lines, correlation ids and schema versions on every machine.
//! Even-numbered orders are written with `OrderCreated` v1, odd ones with v2
//! (every other v2 order with a coupon); lines draw 1 to 3 distinct skus of
//! the catalog, 1 to 4 units each.

use super::{Catalog, Item, OrderCreated};
use crate::xorshift::Xorshift;

/// The version of `OrderCreated` an order is written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderVersion {
    /// No coupon field.
    V1,
    /// With the optional coupon.
    V2,
}

/// One order to write, with how to write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedOrder {
    /// The order (its `coupon` is `None` for v1 orders).
    pub order: OrderCreated,
    /// The schema version to write it with.
    pub version: OrderVersion,
    /// The value of its `correlation-id` header.
    pub correlation_id: String,
}

/// Price of one unit of any sku, in cents.
const UNIT_CENTS: i64 = 1_250;
/// How many customers place the orders.
const CUSTOMERS: u64 = 40;

/// `count` orders from `seed`, over `catalog`'s skus.
pub fn generate_orders(count: usize, seed: u64, catalog: &Catalog) -> Vec<GeneratedOrder> {
    let skus: Vec<&str> = catalog.skus().map(|(sku, _)| sku).collect();
    let mut rng = Xorshift::new(seed);
    (0..count)
        .map(|i| {
            let customer = format!("customer-{}", rng.below(CUSTOMERS));
            let lines = 1 + rng.below(3) as usize;
            let mut items: Vec<Item> = Vec::new();
            while items.len() < lines.min(skus.len()) {
                let sku = skus[rng.below(skus.len() as u64) as usize];
                if !items.iter().any(|item| item.sku == sku) {
                    items.push(Item {
                        sku: sku.to_string(),
                        quantity: 1 + rng.below(4) as i32,
                    });
                }
            }
            let amount_cents = items
                .iter()
                .map(|item| i64::from(item.quantity) * UNIT_CENTS)
                .sum();
            let version = if i % 2 == 0 {
                OrderVersion::V1
            } else {
                OrderVersion::V2
            };
            let coupon = (i % 4 == 1).then(|| "WELCOME10".to_string());
            GeneratedOrder {
                order: OrderCreated {
                    order_id: format!("order-{i:05}"),
                    customer,
                    items,
                    amount_cents,
                    coupon,
                },
                version,
                correlation_id: format!("corr-{:016x}", rng.next_u64()),
            }
        })
        .collect()
}
