//! The skus the shop sells and the stock each starts with: what the inventory
//! counts down from, the generator orders from, and the verifier checks the
//! final stock against.

use std::collections::BTreeMap;

/// Units per sku of the example's shop unless `--stock` says otherwise.
pub const EXAMPLE_UNITS: i64 = 25;

/// Initial stock per sku.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    initial: BTreeMap<String, i64>,
}

impl Catalog {
    /// `skus` skus, `sku-00` to `sku-NN`, each starting with `units` units.
    pub fn uniform(skus: usize, units: i64) -> Self {
        Self {
            initial: (0..skus).map(|i| (format!("sku-{i:02}"), units)).collect(),
        }
    }

    /// The shop of the example: 6 skus of `units` units each
    /// ([`EXAMPLE_UNITS`] by default: scarce enough that some orders of the
    /// default run find a sku sold out).
    pub fn example(units: i64) -> Self {
        Self::uniform(6, units)
    }

    /// The units `sku` starts with; `None` for a sku the shop does not sell.
    pub fn initial_stock(&self, sku: &str) -> Option<i64> {
        self.initial.get(sku).copied()
    }

    /// Every sku with its initial stock, in sku order.
    pub fn skus(&self) -> impl Iterator<Item = (&str, i64)> {
        self.initial
            .iter()
            .map(|(sku, units)| (sku.as_str(), *units))
    }
}
