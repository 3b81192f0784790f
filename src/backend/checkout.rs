//! The checkout calls beyond a plain reservation: holds that lapse, their
//! confirmation and release, refunds after purchase, stock adjustments and
//! the reap that frees lapsed holds (see `backends/README.md`, "Checkout").
//!
//! Invariants every implementation keeps:
//! - Time is the harness's clock, passed in as `now_us` / `expires_us`
//!   (microseconds after `t0`); a backend never reads its own clock for
//!   expiry, so tests can drive it. A hold with `expires_us <= now_us` is
//!   lapsed for every call made at `now_us`, whether or not it was reaped.
//! - Every call on an order is keyed by its idempotency key: a `take` whose
//!   key the backend already applied changes nothing, and answers `Granted`
//!   while the order still holds or owns its stock, `SoldOut` once it is
//!   over (lapsed, released, refunded); a second `release` or `refund` of a
//!   key releases nothing.
//! - A cart is all or nothing, lines of the same SKU add up, and no two
//!   carts deadlock however their lines are ordered.

use crate::scenario::SkuIdx;

/// One line of a cart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub sku: SkuIdx,
    pub qty: u64,
}

/// An order reaching the backend: take its lines, as a hold or sold outright.
#[derive(Debug, Clone, Copy)]
pub struct Take<'a> {
    /// The idempotency key (the order id, or one per attempt when keys are off).
    pub key: u64,
    pub lines: &'a [Line],
    /// The harness clock when the attempt was sent.
    pub now_us: u64,
    /// `Some`: a hold that lapses at this time unless confirmed; `None`: sold at once.
    pub expires_us: Option<u64>,
}

/// A later call on an order already taken: its key and lines as taken.
#[derive(Debug, Clone, Copy)]
pub struct OrderRef<'a> {
    pub key: u64,
    pub lines: &'a [Line],
    pub now_us: u64,
}

/// The answer to a confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    /// The hold was live: its units are sold.
    Sold,
    /// The hold had lapsed and the policy is `reacquire`: sold again from free stock.
    Reacquired,
    /// The hold had lapsed (or was released) and nothing was sold.
    Lapsed,
    /// The hold had lapsed, and re-reserving found too little stock.
    SoldOut,
    /// The order was already sold (a repeated confirmation): nothing changed.
    AlreadySold,
    Error,
    Unknown,
}

/// The answer to a release (cancel of a live hold) or a refund (of a sale).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Released {
    /// Units went back to free stock.
    Released,
    /// Nothing to give back: already released, lapsed, refunded, or never taken.
    Nothing,
    Error,
    Unknown,
}

/// What a backend's own state shows for one SKU at a quiet point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StockState {
    /// The stock the backend believes it has (`on_hand`, after adjustments).
    pub on_hand: u64,
    /// Units in live holds.
    pub held: u64,
    /// Units sold (confirmed holds and outright sales, less refunds).
    pub sold: u64,
    /// Live holds (orders) touching this SKU.
    pub holds: u64,
}

/// Lines merged by SKU in ascending SKU order: the order every backend locks
/// rows in (so carts never deadlock) and the quantities it checks.
pub fn merged(lines: &[Line]) -> Vec<Line> {
    let mut merged: Vec<Line> = Vec::with_capacity(lines.len());
    let mut sorted = lines.to_vec();
    sorted.sort_by_key(|l| l.sku);
    for line in sorted {
        match merged.last_mut() {
            Some(last) if last.sku == line.sku => last.qty += line.qty,
            _ => merged.push(line),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_sums_repeated_skus_in_sku_order() {
        let lines = [
            Line { sku: 3, qty: 1 },
            Line { sku: 1, qty: 2 },
            Line { sku: 3, qty: 4 },
        ];
        assert_eq!(
            merged(&lines),
            [Line { sku: 1, qty: 2 }, Line { sku: 3, qty: 5 }]
        );
    }
}
