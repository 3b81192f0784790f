//! The audit: a pure function from the ledger's totals and the backend's final
//! snapshot to every `units.*` figure and the order counts derived from them.
//!
//! Invariant: nothing here asks a backend anything; `reserved` is only the
//! snapshot `R`, compared against what the harness itself was promised. The
//! stored order ids settle an unknown only where they add up to `R`: two
//! records of the backend that agree, checked against the ledger's own list
//! of what it sent.

mod resolve;

use crate::ledger::SkuTotals;
pub use resolve::{resolutions, Resolution, SkuResolution};
use std::borrow::Borrow;

/// The audit's findings for one SKU.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkuAudit {
    /// `C` once settled: what the harness was told, plus the unknowns whose
    /// stored id says they took effect.
    pub committed: u64,
    /// `U` once settled: the units of unknowns still in doubt.
    pub unknown: u64,
    pub oversold: u64,
    pub oversold_possible: u64,
    pub within_buffer: u64,
    pub peak_overcommit: u64,
    pub lost_updates: u64,
    pub phantom: u64,
    pub undersold: u64,
    pub wrongly_refused: u64,
    pub unknowns_resolved_granted: u64,
    pub unknowns_resolved_not: u64,
    pub unknowns_unresolved: u64,
}

/// How the unknown orders were settled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IdCheck {
    /// The backend stores no order ids: every unknown stays a bound.
    #[default]
    NotStored,
    /// It lost them with the rest of its data: every unknown stays a bound.
    Lost,
    /// Too many unknown orders to look up: every one stays a bound.
    TooMany,
    /// Every SKU's stored ids add up to its `R`: each unknown was looked up.
    Exact,
    /// On this many SKUs the stored ids do not add up to `R`: their
    /// unknowns stay unresolved, since the backend's two records disagree.
    Disagree(u64),
}

/// Sums over every SKU.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audit {
    pub ids: IdCheck,
    pub stock: u64,
    pub granted: u64,
    pub unknown: u64,
    /// `C` per SKU.
    pub committed: Vec<u64>,
    /// The sum of every SKU's findings; one SKU's are `audit_sku`'s.
    pub total: SkuAudit,
}

/// Audit one SKU. `reserved` is `R`, the backend's final reserved units;
/// `ids`, what its stored order ids say of this SKU, if it stores them.
pub fn audit_sku(t: &SkuTotals, reserved: u64, ids: Option<&SkuResolution>) -> SkuAudit {
    let (s, b) = (t.stock, t.buffer);
    let limit = s + b;
    let n = t.unknown_orders;
    // Settled unknowns leave `U`: those that took effect join `C`.
    let (c, u, resolved_granted, resolved_not, unresolved) = match ids {
        Some(r) if r.stored_units == reserved => (
            t.committed + r.took_effect_units,
            0,
            r.took_effect_orders,
            n - r.took_effect_orders,
            0,
        ),
        _ => (t.committed, t.unknown, 0, 0, n),
    };
    // Free at the end; stock only falls in this run, so an order refused with
    // `qty <= free_at_end` had stock covering it from its refusal onwards.
    let free = limit as i128 - c as i128 - u as i128;
    let wrongly: Vec<(u64, u64)> = t
        .refused
        .iter()
        .copied()
        .filter(|&(q, _)| (q as i128) <= free)
        .collect();
    let wrongly_refused = wrongly.iter().map(|(_, n)| n).sum();
    let wrongly_units: u64 = wrongly.iter().map(|(q, n)| q * n).sum();
    SkuAudit {
        committed: c,
        unknown: u,
        oversold: c.saturating_sub(limit),
        oversold_possible: (c + u).saturating_sub(limit),
        within_buffer: b.min(c.saturating_sub(s)),
        peak_overcommit: t.peak_over,
        lost_updates: c.saturating_sub(reserved),
        phantom: reserved.saturating_sub(c + u),
        undersold: (free.max(0) as u64).min(wrongly_units),
        wrongly_refused,
        unknowns_resolved_granted: resolved_granted,
        unknowns_resolved_not: resolved_not,
        unknowns_unresolved: unresolved,
    }
}

/// Audit every SKU; `reserved[i]` is the snapshot of SKU `i`.
pub fn audit(totals: &[SkuTotals], reserved: &[u64], ids: &Resolution) -> Audit {
    audit_each(totals.iter(), reserved, ids)
}

/// As `audit`, over totals made one at a time (`Ledger::each_total`): only
/// the sums and `C` are kept, since every SKU's totals and findings at once
/// would take 160 MB for a million SKUs.
pub fn audit_each<T: Borrow<SkuTotals>>(
    totals: impl ExactSizeIterator<Item = T>,
    reserved: &[u64],
    ids: &Resolution,
) -> Audit {
    let mut out = Audit {
        ids: id_check(reserved, ids),
        committed: Vec::with_capacity(totals.len()),
        ..Audit::default()
    };
    let reserved = reserved.iter().copied().chain(std::iter::repeat(0));
    for (i, (t, r)) in totals.zip(reserved).enumerate() {
        let t = t.borrow();
        let a = audit_sku(t, r, ids.sku(i));
        let total = &mut out.total;
        total.committed += a.committed;
        total.unknown += a.unknown;
        total.oversold += a.oversold;
        total.oversold_possible += a.oversold_possible;
        total.within_buffer += a.within_buffer;
        total.peak_overcommit += a.peak_overcommit;
        total.lost_updates += a.lost_updates;
        total.phantom += a.phantom;
        total.undersold += a.undersold;
        total.wrongly_refused += a.wrongly_refused;
        total.unknowns_resolved_granted += a.unknowns_resolved_granted;
        total.unknowns_resolved_not += a.unknowns_resolved_not;
        total.unknowns_unresolved += a.unknowns_unresolved;
        out.stock += t.stock;
        out.granted += a.committed;
        out.unknown += a.unknown;
        out.committed.push(a.committed);
    }
    out
}

/// Whether every SKU's stored ids add up to its `R`.
fn id_check(reserved: &[u64], ids: &Resolution) -> IdCheck {
    match ids {
        Resolution::NotStored => IdCheck::NotStored,
        Resolution::Lost => IdCheck::Lost,
        Resolution::TooMany => IdCheck::TooMany,
        Resolution::Stored(per_sku) => {
            let reserved = reserved.iter().copied().chain(std::iter::repeat(0));
            match per_sku
                .iter()
                .zip(reserved)
                .filter(|(r, reserved)| r.stored_units != *reserved)
                .count()
            {
                0 => IdCheck::Exact,
                n => IdCheck::Disagree(n as u64),
            }
        }
    }
}

#[cfg(test)]
mod tests;
