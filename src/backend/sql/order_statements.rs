//! The files of a store's checkout statements (`backends/<store>/checkout/`),
//! read at build time, and the same statements rendered for one run.
//!
//! Invariant: every store has the same set of files, so `orders.rs` decides
//! the same way on each; only their dialect differs.

use super::orders::Op;

/// The statements of one store, as text (or rendered for a run).
#[derive(Debug, Clone)]
pub struct OrderStatements<S> {
    pub lock: S,
    pub reap_stock: S,
    pub reap_orders: S,
    pub claim_hold: S,
    pub claim_sale: S,
    pub record_hold: S,
    pub record_sale: S,
    pub shift: S,
    pub mark: S,
    /// (key) → (sku, qty, state) rows in SKU order.
    pub parts: S,
    /// (now) → SKUs with holds lapsed at `now`, ascending.
    pub lapsed: S,
    /// (key) → the number of rows of that order.
    pub took_effect: S,
    /// () → (sku, on_hand, held, sold, live holds) rows in SKU order.
    pub state: S,
    /// (sku, delta): on_hand moves by delta, never below 0.
    pub adjust: S,
    /// The order table and its reaping index (one statement each).
    pub schema: S,
    pub index: S,
    /// Empties the order table.
    pub reset: S,
}

/// One checkout file of a store, read at build time.
#[macro_export]
macro_rules! order_file {
    ($store:literal, $name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/backends/",
            $store,
            "/checkout/",
            $name,
            ".sql"
        ))
    };
}

/// All checkout files of a store (`"postgres"`, …), read at build time.
#[macro_export]
macro_rules! order_files {
    ($store:literal) => {
        $crate::backend::sql::order_statements::OrderStatements::<&'static str> {
            lock: $crate::order_file!($store, "lock"),
            reap_stock: $crate::order_file!($store, "reap_stock"),
            reap_orders: $crate::order_file!($store, "reap_orders"),
            claim_hold: $crate::order_file!($store, "claim_hold"),
            claim_sale: $crate::order_file!($store, "claim_sale"),
            record_hold: $crate::order_file!($store, "record_hold"),
            record_sale: $crate::order_file!($store, "record_sale"),
            shift: $crate::order_file!($store, "shift"),
            mark: $crate::order_file!($store, "mark"),
            parts: $crate::order_file!($store, "parts"),
            lapsed: $crate::order_file!($store, "lapsed"),
            took_effect: $crate::order_file!($store, "took_effect"),
            state: $crate::order_file!($store, "state"),
            adjust: $crate::order_file!($store, "adjust"),
            schema: $crate::order_file!($store, "schema"),
            index: $crate::order_file!($store, "index"),
            reset: $crate::order_file!($store, "reset"),
        }
    };
}

impl OrderStatements<&'static str> {
    /// Every file through `render` (a namespace's table names, say).
    pub fn render(&self, render: impl Fn(&str) -> String) -> OrderStatements<String> {
        OrderStatements {
            lock: render(self.lock),
            reap_stock: render(self.reap_stock),
            reap_orders: render(self.reap_orders),
            claim_hold: render(self.claim_hold),
            claim_sale: render(self.claim_sale),
            record_hold: render(self.record_hold),
            record_sale: render(self.record_sale),
            shift: render(self.shift),
            mark: render(self.mark),
            parts: render(self.parts),
            lapsed: render(self.lapsed),
            took_effect: render(self.took_effect),
            state: render(self.state),
            adjust: render(self.adjust),
            schema: render(self.schema),
            index: render(self.index),
            reset: render(self.reset),
        }
    }
}

impl<S: AsRef<str>> OrderStatements<S> {
    /// The statement of `op`.
    pub fn of(&self, op: Op) -> &str {
        match op {
            Op::Lock => self.lock.as_ref(),
            Op::ReapStock => self.reap_stock.as_ref(),
            Op::ReapOrders => self.reap_orders.as_ref(),
            Op::ClaimHold => self.claim_hold.as_ref(),
            Op::ClaimSale => self.claim_sale.as_ref(),
            Op::RecordHold => self.record_hold.as_ref(),
            Op::RecordSale => self.record_sale.as_ref(),
            Op::Shift => self.shift.as_ref(),
            Op::Mark => self.mark.as_ref(),
        }
    }
}
