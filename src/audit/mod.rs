//! The audit: a pure function from the ledger's totals and the backend's final
//! snapshot to every `units.*` figure and the order counts derived from them.
//!
//! Invariant: nothing here asks a backend anything; `reserved` is only the
//! snapshot `R`, compared against what the harness itself was promised.

use crate::ledger::SkuTotals;
use std::borrow::Borrow;

/// The audit's findings for one SKU.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkuAudit {
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

/// Sums over every SKU.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audit {
    pub stock: u64,
    pub granted: u64,
    pub unknown: u64,
    /// `C` per SKU.
    pub committed: Vec<u64>,
    /// The sum of every SKU's findings; one SKU's are `audit_sku`'s.
    pub total: SkuAudit,
}

/// Audit one SKU. `reserved` is `R`, the backend's final reserved units.
pub fn audit_sku(t: &SkuTotals, reserved: u64) -> SkuAudit {
    let (s, b, c, u) = (t.stock, t.buffer, t.committed, t.unknown);
    let limit = s + b;
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
    let (resolved_granted, resolved_not, unresolved) = resolve_unknowns(t, reserved);
    SkuAudit {
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

/// Unknown orders whose fate the final state settles: all of them took effect
/// when `R = C + U`, none did when `R = C`; otherwise they stay unresolved.
fn resolve_unknowns(t: &SkuTotals, reserved: u64) -> (u64, u64, u64) {
    let n = t.unknown_orders;
    if n == 0 {
        (0, 0, 0)
    } else if reserved == t.committed + t.unknown {
        (n, 0, 0)
    } else if reserved == t.committed {
        (0, n, 0)
    } else {
        (0, 0, n)
    }
}

/// Audit every SKU; `reserved[i]` is the snapshot of SKU `i`.
pub fn audit(totals: &[SkuTotals], reserved: &[u64]) -> Audit {
    audit_each(totals.iter(), reserved)
}

/// As `audit`, over totals made one at a time (`Ledger::each_total`): only
/// the sums and `C` are kept, since every SKU's totals and findings at once
/// would take 160 MB for a million SKUs.
pub fn audit_each<T: Borrow<SkuTotals>>(
    totals: impl ExactSizeIterator<Item = T>,
    reserved: &[u64],
) -> Audit {
    let mut out = Audit {
        committed: Vec::with_capacity(totals.len()),
        ..Audit::default()
    };
    let reserved = reserved.iter().copied().chain(std::iter::repeat(0));
    for (t, r) in totals.zip(reserved) {
        let t = t.borrow();
        let a = audit_sku(t, r);
        let total = &mut out.total;
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
        out.granted += t.committed;
        out.unknown += t.unknown;
        out.committed.push(t.committed);
    }
    out
}

#[cfg(test)]
mod tests;
