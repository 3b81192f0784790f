//! What each SKU's unknown orders came to, from the ledger's list of them
//! and the order ids the backend stored.
//!
//! Invariant: only ids the ledger itself recorded as unknown are counted;
//! an id the backend returns that the harness never asked about changes
//! nothing here (its units still show in the stored total checked against `R`).

use crate::backend::{StoredIds, UnknownOrder};
use std::collections::HashSet;

/// One SKU's stored ids against its unknowns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkuResolution {
    /// Units of every order id the backend stored for the SKU.
    pub stored_units: u64,
    /// Unknown orders of the SKU whose id the backend stored, and their units.
    pub took_effect_orders: u64,
    pub took_effect_units: u64,
}

/// The stored ids of every SKU, or none at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The backend stores no order ids: the bounds on unknowns stand.
    NotStored,
    /// It lost the ids it stored (and the rest of its data): the bounds stand.
    Lost,
    /// More unknown orders than the ledger lists (`MAX_LOOKED_UP`): none
    /// is looked up, and the bounds stand.
    TooMany,
    Stored(Vec<SkuResolution>),
}

impl Resolution {
    pub fn sku(&self, index: usize) -> Option<&SkuResolution> {
        match self {
            Resolution::NotStored | Resolution::Lost | Resolution::TooMany => None,
            Resolution::Stored(skus) => skus.get(index),
        }
    }
}

/// Match the unknown orders against what the backend stored.
pub fn resolutions(skus: usize, unknown: &[UnknownOrder], stored: &StoredIds) -> Resolution {
    let stored = match stored {
        StoredIds::NotStored => return Resolution::NotStored,
        StoredIds::Lost => return Resolution::Lost,
        StoredIds::Stored(stored) => stored,
    };
    let mut per_sku: Vec<SkuResolution> = (0..skus)
        .map(|i| SkuResolution {
            stored_units: stored.units.get(i).copied().unwrap_or(0),
            ..SkuResolution::default()
        })
        .collect();
    let found: HashSet<u64> = stored.found.iter().copied().collect();
    for order in unknown.iter().filter(|o| found.contains(&o.id)) {
        if let Some(sku) = per_sku.get_mut(order.sku as usize) {
            sku.took_effect_orders += 1;
            sku.took_effect_units += order.qty;
        }
    }
    Resolution::Stored(per_sku)
}
