//! One SKU's checkout state in memory and the single-SKU steps on it; the
//! cart logic over several SKUs is in `cart.rs`.
//!
//! Invariant: `held` is the sum of the `Held` parts and `sold` of the `Sold`
//! ones (the naive strategy overwrites the counters and breaks this, which
//! is why subtractions saturate), so the conservation check (`on_hand + buffer >= held + sold` for a
//! correct strategy) reads a consistent book whenever its lock is free.

use crate::backend::checkout::StockState;
use crate::scenario::AfterExpiry;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Default)]
pub struct Book {
    pub on_hand: u64,
    pub buffer: u64,
    pub held: u64,
    pub sold: u64,
    /// This SKU's part of each order, by idempotency key.
    parts: HashMap<u64, Part>,
    /// Live holds by deadline, so a reap touches only what lapsed.
    deadlines: BTreeSet<(u64, u64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub qty: u64,
    pub state: PartState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartState {
    Held { expires_us: u64 },
    Sold,
    Released,
    Lapsed,
    Refunded,
}

/// A take's step on one SKU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TakeStep {
    Taken,
    /// The key was applied before and its order still holds or owns stock.
    AlreadyLive,
    /// The key was applied before and its order is over (lapsed, released, refunded).
    AlreadyOver,
    Short,
}

/// A confirmation's step on one SKU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmStep {
    Sold,
    AlreadySold,
    Reacquired,
    Lapsed,
    Short,
}

impl Book {
    pub fn new(on_hand: u64, buffer: u64) -> Self {
        Book {
            on_hand,
            buffer,
            ..Book::default()
        }
    }

    /// Units a new take may still have: may be negative after a correction.
    pub fn free(&self) -> i128 {
        self.on_hand as i128 + self.buffer as i128 - self.held as i128 - self.sold as i128
    }

    pub fn part(&self, key: u64) -> Option<Part> {
        self.parts.get(&key).copied()
    }

    /// Lapse every hold whose deadline is at or before `now_us`.
    pub fn reap(&mut self, now_us: u64) {
        while let Some(&(expires_us, key)) = self.deadlines.first() {
            if expires_us > now_us {
                return;
            }
            self.deadlines.pop_first();
            if let Some(part) = self.parts.get_mut(&key) {
                if matches!(part.state, PartState::Held { .. }) {
                    part.state = PartState::Lapsed;
                    self.held = self.held.saturating_sub(part.qty);
                }
            }
        }
    }

    pub fn take(&mut self, key: u64, qty: u64, now_us: u64, expires_us: Option<u64>) -> TakeStep {
        self.reap(now_us);
        if let Some(part) = self.parts.get(&key) {
            return match part.state {
                PartState::Held { .. } | PartState::Sold => TakeStep::AlreadyLive,
                _ => TakeStep::AlreadyOver,
            };
        }
        if self.free() < qty as i128 {
            return TakeStep::Short;
        }
        self.put(key, qty, expires_us);
        TakeStep::Taken
    }

    /// Record a part without any check (the naive strategy's write).
    pub fn put(&mut self, key: u64, qty: u64, expires_us: Option<u64>) {
        let state = match expires_us {
            Some(expires_us) => {
                self.held += qty;
                self.deadlines.insert((expires_us, key));
                PartState::Held { expires_us }
            }
            None => {
                self.sold += qty;
                PartState::Sold
            }
        };
        self.parts.insert(key, Part { qty, state });
    }

    /// Take back a part this cart just took (another line fell short).
    pub fn undo_take(&mut self, key: u64) {
        if let Some(part) = self.parts.remove(&key) {
            match part.state {
                PartState::Held { expires_us } => {
                    self.held = self.held.saturating_sub(part.qty);
                    self.deadlines.remove(&(expires_us, key));
                }
                PartState::Sold => self.sold = self.sold.saturating_sub(part.qty),
                _ => {}
            }
        }
    }

    pub fn confirm(&mut self, key: u64, now_us: u64, policy: AfterExpiry) -> ConfirmStep {
        self.reap(now_us);
        let Some(part) = self.parts.get_mut(&key) else {
            return ConfirmStep::Lapsed;
        };
        match part.state {
            PartState::Held { expires_us } => {
                part.state = PartState::Sold;
                self.held = self.held.saturating_sub(part.qty);
                self.sold += part.qty;
                self.deadlines.remove(&(expires_us, key));
                ConfirmStep::Sold
            }
            PartState::Sold => ConfirmStep::AlreadySold,
            PartState::Lapsed if policy == AfterExpiry::Reacquire => {
                let qty = part.qty;
                if self.free() < qty as i128 {
                    return ConfirmStep::Short;
                }
                self.parts.insert(
                    key,
                    Part {
                        qty,
                        state: PartState::Sold,
                    },
                );
                self.sold += qty;
                ConfirmStep::Reacquired
            }
            _ => ConfirmStep::Lapsed,
        }
    }

    /// This SKU's part of `key` after reaping at `now_us`.
    pub fn status(&mut self, key: u64, now_us: u64) -> Option<PartState> {
        self.reap(now_us);
        self.part(key).map(|p| p.state)
    }

    /// Lapse a held part now: another line of its cart already lapsed, and
    /// a cart lapses as a whole.
    pub fn lapse(&mut self, key: u64) {
        if let Some(Part {
            qty,
            state: PartState::Held { expires_us },
        }) = self.part(key)
        {
            self.deadlines.remove(&(expires_us, key));
            self.held = self.held.saturating_sub(qty);
            self.parts.insert(
                key,
                Part {
                    qty,
                    state: PartState::Lapsed,
                },
            );
        }
    }

    /// Undo a sale this cart just made (another line fell short, or lapsed):
    /// the part goes back to lapsed.
    pub fn undo_reacquire(&mut self, key: u64) {
        if let Some(part) = self.parts.get_mut(&key) {
            if part.state == PartState::Sold {
                part.state = PartState::Lapsed;
                self.sold = self.sold.saturating_sub(part.qty);
            }
        }
    }

    /// Release a live hold; false when there is nothing to release.
    pub fn release(&mut self, key: u64, now_us: u64) -> bool {
        self.reap(now_us);
        let Some(part) = self.parts.get_mut(&key) else {
            return false;
        };
        let PartState::Held { expires_us } = part.state else {
            return false;
        };
        part.state = PartState::Released;
        self.held = self.held.saturating_sub(part.qty);
        self.deadlines.remove(&(expires_us, key));
        true
    }

    /// Give a sale's units back; false when it is not (or no longer) sold.
    pub fn refund(&mut self, key: u64) -> bool {
        let Some(part) = self.parts.get_mut(&key) else {
            return false;
        };
        if part.state != PartState::Sold {
            return false;
        }
        part.state = PartState::Refunded;
        self.sold = self.sold.saturating_sub(part.qty);
        true
    }

    /// Restock (`delta > 0`) or correct (`delta < 0`); stock never goes below 0.
    pub fn adjust(&mut self, delta: i64) {
        self.on_hand = (self.on_hand as i128 + delta as i128).max(0) as u64;
    }

    /// Set a part's state without touching the counters (the naive
    /// strategy's row write; its counters are written apart).
    pub fn set_state(&mut self, key: u64, state: PartState) {
        if let Some(part) = self.parts.get_mut(&key) {
            if let PartState::Held { expires_us } = part.state {
                self.deadlines.remove(&(expires_us, key));
            }
            part.state = state;
        }
    }

    /// Overwrite the counters, as a full-row save from an earlier read does.
    pub fn overwrite(&mut self, on_hand: u64, held: u64, sold: u64) {
        (self.on_hand, self.held, self.sold) = (on_hand, held, sold);
    }

    pub fn state(&self) -> StockState {
        StockState {
            on_hand: self.on_hand,
            held: self.held,
            sold: self.sold,
            holds: self
                .parts
                .values()
                .filter(|p| matches!(p.state, PartState::Held { .. }))
                .count() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lapsed_hold_frees_its_units_for_a_call_at_its_deadline() {
        let mut b = Book::new(3, 0);
        assert_eq!(b.take(1, 3, 0, Some(1_000)), TakeStep::Taken);
        assert_eq!(b.take(2, 1, 999, Some(2_000)), TakeStep::Short);
        assert_eq!(b.take(2, 1, 1_000, Some(2_000)), TakeStep::Taken);
        assert_eq!((b.held, b.sold), (1, 0));
    }

    #[test]
    fn release_gives_units_back_once() {
        let mut b = Book::new(3, 0);
        b.take(1, 2, 0, Some(1_000));
        assert!(b.release(1, 10));
        assert!(!b.release(1, 20));
        assert_eq!(b.held, 0);
    }
}
