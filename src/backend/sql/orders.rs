//! The checkout calls on a SQL store (`sqlite-atomic`, `postgres-atomic`,
//! `mysql-atomic`): the decisions, written once, over each store's own
//! statements (`backends/<store>/checkout/`, run through `OrderTx`).
//!
//! Invariant: every call is one transaction that first locks the stock rows
//! of its SKUs in ascending SKU order (crossed carts wait for each other,
//! never deadlock), then lapses those SKUs' holds whose deadline is at or
//! before the call's `now_us`, and only then reads its order and decides.
//! An order's rows change only under the locks of their SKUs, so what the
//! call reads after locking stays true until it commits.

use super::attempt::Arg;
use crate::backend::checkout::{merged, Confirmed, Line, OrderRef, Released, StockState, Take};
use crate::backend::Reply;
use crate::scenario::AfterExpiry;
use std::future::Future;

/// The states of an order row.
pub const HELD: &str = "held";
pub const SOLD: &str = "sold";
pub const RELEASED: &str = "released";
pub const LAPSED: &str = "lapsed";
pub const REFUNDED: &str = "refunded";

/// A statement every store provides, with its parameters in this order (a
/// store whose placeholders cannot repeat binds them as its text needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Lock one SKU's stock row until the transaction ends. (sku)
    Lock,
    /// Take the SKU's lapsed holds out of its `held`. (sku, now)
    ReapStock,
    /// Mark the SKU's lapsed holds `lapsed`. (sku, now)
    ReapOrders,
    /// Add to `held` if the free stock covers it. (sku, qty)
    ClaimHold,
    /// Add to `sold` if the free stock covers it. (sku, qty)
    ClaimSale,
    /// An order row held until its deadline. (key, sku, qty, expires)
    RecordHold,
    /// An order row sold outright. (key, sku, qty)
    RecordSale,
    /// Move units into or out of `held` and `sold`. (sku, held delta, sold delta)
    Shift,
    /// Set an order row's state. (key, sku, state)
    Mark,
}

/// One SKU's row of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub sku: i64,
    pub qty: i64,
    pub state: String,
}

/// A store's statements inside the transaction of one call.
pub trait OrderTx: Send {
    /// Run `op` with `args`: the rows it matched.
    fn run(
        &mut self,
        op: Op,
        args: &[Arg<'static>],
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;

    /// The rows of the order keyed `key`, in SKU order.
    fn parts(&mut self, key: i64) -> impl Future<Output = Result<Vec<Part>, sqlx::Error>> + Send;
}

/// One checkout call.
#[derive(Clone, Copy)]
pub enum Call<'a> {
    Take(&'a Take<'a>),
    Confirm(&'a OrderRef<'a>, AfterExpiry),
    Release(&'a OrderRef<'a>),
    Refund(&'a OrderRef<'a>),
    /// Lapse the holds of these SKUs (ascending) at `now_us`.
    Reap(&'a [i64], u64),
}

/// What a call decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Took(Reply),
    Confirmed(Confirmed),
    Released(Released),
    Reaped,
}

impl Outcome {
    /// Whether the transaction commits: only when the call changed the
    /// order (a lapsed confirmation may have lapsed a cart's other lines).
    /// A refusal rolls back, its lazy reap with it (the next call on those
    /// SKUs reaps again).
    pub fn commits(&self) -> bool {
        matches!(
            self,
            Outcome::Took(Reply::Granted)
                // A lapsed or sold-out answer may have lapsed a cart's held lines.
                | Outcome::Confirmed(
                    Confirmed::Sold
                        | Confirmed::Reacquired
                        | Confirmed::Lapsed
                        | Confirmed::SoldOut
                )
                | Outcome::Released(Released::Released)
                | Outcome::Reaped
        )
    }
}

/// A take's reply, or the failure's (`Conflict`, `Error`, `Unknown`).
pub fn reply(result: Result<Outcome, Reply>) -> Reply {
    match result {
        Ok(Outcome::Took(reply)) => reply,
        Ok(_) => Reply::Error,
        Err(failed) => failed,
    }
}

/// A confirmation's answer. A conflict rolled the transaction back, so it
/// did not take effect: an `Error`.
pub fn confirmed(result: Result<Outcome, Reply>) -> Confirmed {
    match result {
        Ok(Outcome::Confirmed(answer)) => answer,
        Err(Reply::Unknown) => Confirmed::Unknown,
        _ => Confirmed::Error,
    }
}

/// A release's or refund's answer (failures as in `confirmed`).
pub fn released(result: Result<Outcome, Reply>) -> Released {
    match result {
        Ok(Outcome::Released(answer)) => answer,
        Err(Reply::Unknown) => Released::Unknown,
        _ => Released::Error,
    }
}

/// Decide `call` inside its transaction (the caller begins and ends it,
/// committing when `Outcome::commits`).
pub async fn run(tx: &mut impl OrderTx, call: Call<'_>) -> Result<Outcome, sqlx::Error> {
    match call {
        Call::Take(t) => take(tx, t).await.map(Outcome::Took),
        Call::Confirm(order, policy) => confirm(tx, order, policy).await.map(Outcome::Confirmed),
        Call::Release(order) => give_back(tx, order, false).await.map(Outcome::Released),
        Call::Refund(order) => give_back(tx, order, true).await.map(Outcome::Released),
        Call::Reap(skus, now_us) => {
            lock_and_reap(tx, skus, now_us).await?;
            Ok(Outcome::Reaped)
        }
    }
}

fn int(v: u64) -> Arg<'static> {
    Arg::Int(v as i64)
}

fn skus_of(lines: &[Line]) -> Vec<i64> {
    merged(lines).iter().map(|l| l.sku as i64).collect()
}

async fn lock_and_reap(
    tx: &mut impl OrderTx,
    skus: &[i64],
    now_us: u64,
) -> Result<(), sqlx::Error> {
    for &sku in skus {
        tx.run(Op::Lock, &[Arg::Int(sku)]).await?;
    }
    for &sku in skus {
        let args = [Arg::Int(sku), int(now_us)];
        tx.run(Op::ReapStock, &args).await?;
        tx.run(Op::ReapOrders, &args).await?;
    }
    Ok(())
}

/// Lock and reap the order's SKUs, then read its rows on them.
async fn locked_parts(
    tx: &mut impl OrderTx,
    key: u64,
    lines: &[Line],
    now_us: u64,
) -> Result<Vec<Part>, sqlx::Error> {
    let skus = skus_of(lines);
    lock_and_reap(tx, &skus, now_us).await?;
    let mut parts = tx.parts(key as i64).await?;
    parts.retain(|p| skus.contains(&p.sku));
    Ok(parts)
}

async fn take(tx: &mut impl OrderTx, t: &Take<'_>) -> Result<Reply, sqlx::Error> {
    let parts = locked_parts(tx, t.key, t.lines, t.now_us).await?;
    if !parts.is_empty() {
        // Applied before: a repeat changes nothing, and an order that is
        // over (lapsed, released, refunded) stays over.
        let live = parts.iter().any(|p| p.state == HELD || p.state == SOLD);
        return Ok(if live { Reply::Granted } else { Reply::SoldOut });
    }
    let lines = merged(t.lines);
    let claim = match t.expires_us {
        Some(_) => Op::ClaimHold,
        None => Op::ClaimSale,
    };
    for line in &lines {
        if tx
            .run(claim, &[int(line.sku as u64), int(line.qty)])
            .await?
            == 0
        {
            // A line short: the rollback undoes the lines already claimed.
            return Ok(Reply::SoldOut);
        }
    }
    for line in &lines {
        let (key, sku, qty) = (int(t.key), int(line.sku as u64), int(line.qty));
        match t.expires_us {
            Some(expires) => {
                tx.run(Op::RecordHold, &[key, sku, qty, int(expires)])
                    .await?
            }
            None => tx.run(Op::RecordSale, &[key, sku, qty]).await?,
        };
    }
    Ok(Reply::Granted)
}

async fn confirm(
    tx: &mut impl OrderTx,
    order: &OrderRef<'_>,
    policy: AfterExpiry,
) -> Result<Confirmed, sqlx::Error> {
    let mut parts = locked_parts(tx, order.key, order.lines, order.now_us).await?;
    if parts.is_empty() {
        return Ok(Confirmed::Lapsed);
    }
    let key = int(order.key);
    if all(&parts, SOLD) {
        return Ok(Confirmed::AlreadySold);
    }
    if all(&parts, HELD) {
        for p in &parts {
            let sku = Arg::Int(p.sku);
            tx.run(Op::Shift, &[sku, Arg::Int(-p.qty), Arg::Int(p.qty)])
                .await?;
            tx.run(Op::Mark, &[key, sku, Arg::Text(SOLD)]).await?;
        }
        return Ok(Confirmed::Sold);
    }
    // Some line lapsed (a call on that SKU at a later clock reaped it): the
    // cart lapses as a whole, so its held lines lapse now and none is sold.
    for p in parts.iter_mut().filter(|p| p.state == HELD) {
        let sku = Arg::Int(p.sku);
        tx.run(Op::Shift, &[sku, Arg::Int(-p.qty), Arg::Int(0)])
            .await?;
        tx.run(Op::Mark, &[key, sku, Arg::Text(LAPSED)]).await?;
        p.state = LAPSED.to_string();
    }
    if policy == AfterExpiry::Reject || !all(&parts, LAPSED) {
        // Rejected, or released or refunded: nothing to sell.
        return Ok(Confirmed::Lapsed);
    }
    for (i, p) in parts.iter().enumerate() {
        let sku = Arg::Int(p.sku);
        if tx.run(Op::ClaimSale, &[sku, Arg::Int(p.qty)]).await? == 0 {
            // Give back the lines already claimed, but keep the cart's
            // lapse: the answer commits, so no line stays held.
            for claimed in &parts[..i] {
                let sku = Arg::Int(claimed.sku);
                tx.run(Op::Shift, &[sku, Arg::Int(0), Arg::Int(-claimed.qty)])
                    .await?;
                tx.run(Op::Mark, &[key, sku, Arg::Text(LAPSED)]).await?;
            }
            return Ok(Confirmed::SoldOut);
        }
        tx.run(Op::Mark, &[key, sku, Arg::Text(SOLD)]).await?;
    }
    Ok(Confirmed::Reacquired)
}

/// Whether every part of the order is in `state`.
fn all(parts: &[Part], state: &str) -> bool {
    parts.iter().all(|p| p.state == state)
}

/// Release a live hold (`refund: false`) or refund a sale (`refund: true`).
async fn give_back(
    tx: &mut impl OrderTx,
    order: &OrderRef<'_>,
    refund: bool,
) -> Result<Released, sqlx::Error> {
    let parts = locked_parts(tx, order.key, order.lines, order.now_us).await?;
    let (from, to) = if refund {
        (SOLD, REFUNDED)
    } else {
        (HELD, RELEASED)
    };
    let mut any = false;
    for p in parts.iter().filter(|p| p.state == from) {
        let sku = Arg::Int(p.sku);
        let (held, sold) = if refund { (0, -p.qty) } else { (-p.qty, 0) };
        tx.run(Op::Shift, &[sku, Arg::Int(held), Arg::Int(sold)])
            .await?;
        tx.run(Op::Mark, &[int(order.key), sku, Arg::Text(to)])
            .await?;
        any = true;
    }
    Ok(if any {
        Released::Released
    } else {
        Released::Nothing
    })
}

/// A state read's `(sku, on_hand, held, sold, holds)` rows as one
/// `StockState` per SKU of a catalogue of `skus` (a counter below 0, which
/// only a broken strategy could leave, reads as 0).
pub fn states(rows: Vec<(i64, i64, i64, i64, i64)>, skus: usize) -> Vec<StockState> {
    let mut states = vec![StockState::default(); skus];
    let unit = |v: i64| v.max(0) as u64;
    for (sku, on_hand, held, sold, holds) in rows {
        if let Some(slot) = usize::try_from(sku).ok().and_then(|s| states.get_mut(s)) {
            *slot = StockState {
                on_hand: unit(on_hand),
                held: unit(held),
                sold: unit(sold),
                holds: unit(holds),
            };
        }
    }
    states
}

/// The state of a backend without orders: what it reserved, as sold (the
/// backend contract's default).
pub fn as_sold(reserved: Vec<u64>) -> Vec<StockState> {
    reserved
        .into_iter()
        .map(|sold| StockState {
            sold,
            ..StockState::default()
        })
        .collect()
}
