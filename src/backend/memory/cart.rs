//! Checkout calls over several SKUs, built from the single-SKU steps of
//! `book.rs`: a cart is taken line by line and rolled back if a line falls
//! short. Under `memory-atomic` and `memory-lock` every book of the cart is
//! locked first (in SKU order, so carts never deadlock) and no other call
//! sees a partial cart; under `memory-queue` each step goes through its
//! SKU's server and a rolled-back line is briefly visible, as with a real
//! queue per SKU.

use super::book::{Book, ConfirmStep, PartState, TakeStep};
use crate::backend::checkout::{merged, Confirmed, OrderRef, Released, Take};
use crate::backend::Reply;
use crate::scenario::{AfterExpiry, SkuIdx};
use std::future::Future;

/// Runs one step on one SKU's book; `None` when the book could not be reached.
pub trait Steps: Send {
    fn on<R: Send + 'static>(
        &mut self,
        sku: SkuIdx,
        step: impl FnOnce(&mut Book) -> R + Send + 'static,
    ) -> impl Future<Output = Option<R>> + Send;
}

pub async fn take(steps: &mut impl Steps, take: &Take<'_>) -> Reply {
    let (key, now, expires) = (take.key, take.now_us, take.expires_us);
    let lines = merged(take.lines);
    let mut taken: Vec<SkuIdx> = Vec::new();
    let mut verdict = Reply::Granted;
    for line in &lines {
        let qty = line.qty;
        match steps
            .on(line.sku, move |b| b.take(key, qty, now, expires))
            .await
        {
            // A line an earlier attempt under this key already took (under
            // `memory-queue` a timed-out attempt may have taken only some):
            // it belongs to this order, and goes back with it if it fails.
            Some(TakeStep::Taken) | Some(TakeStep::AlreadyLive) => taken.push(line.sku),
            Some(TakeStep::AlreadyOver) | Some(TakeStep::Short) => {
                verdict = Reply::SoldOut;
                break;
            }
            None => {
                verdict = Reply::Unknown;
                break;
            }
        }
    }
    if verdict != Reply::Granted {
        for sku in taken {
            if steps.on(sku, move |b| b.undo_take(key)).await.is_none() {
                return Reply::Unknown;
            }
        }
    }
    verdict
}

pub async fn confirm(
    steps: &mut impl Steps,
    order: &OrderRef<'_>,
    policy: AfterExpiry,
) -> Confirmed {
    let (key, now) = (order.key, order.now_us);
    let lines = merged(order.lines);
    let mut states = Vec::with_capacity(lines.len());
    for line in &lines {
        let Some(state) = steps.on(line.sku, move |b| b.status(key, now)).await else {
            return Confirmed::Unknown;
        };
        states.push(state);
    }
    let held = |s: &Option<PartState>| matches!(s, Some(PartState::Held { .. }));
    if states.iter().all(|s| *s == Some(PartState::Sold)) {
        return Confirmed::AlreadySold;
    }
    if states.iter().all(held) {
        // Under `memory-queue` a line may lapse between the look and the
        // sale (another call on its SKU, at a later clock): then the lines
        // already sold go back to lapsed, and the cart lapses as a whole.
        let mut sold: Vec<SkuIdx> = Vec::new();
        for (line, state) in lines.iter().zip(states.iter_mut()) {
            match steps
                .on(line.sku, move |b| b.confirm(key, now, AfterExpiry::Reject))
                .await
            {
                Some(ConfirmStep::Sold) => sold.push(line.sku),
                Some(_) => *state = Some(PartState::Lapsed),
                None => return Confirmed::Unknown,
            }
        }
        if sold.len() == lines.len() {
            return Confirmed::Sold;
        }
        for (sku, state) in lines.iter().map(|l| l.sku).zip(states.iter_mut()) {
            if sold.contains(&sku) {
                if steps
                    .on(sku, move |b| b.undo_reacquire(key))
                    .await
                    .is_none()
                {
                    return Confirmed::Unknown;
                }
                *state = Some(PartState::Lapsed);
            }
        }
    }
    // Some line lapsed (a call on that SKU at a later clock reaped it): the
    // cart lapses as a whole, so no line is sold on its own.
    for (line, state) in lines.iter().zip(&states) {
        if held(state) && steps.on(line.sku, move |b| b.lapse(key)).await.is_none() {
            return Confirmed::Unknown;
        }
    }
    let all_lapsed = states
        .iter()
        .all(|s| *s == Some(PartState::Lapsed) || held(s));
    if policy == AfterExpiry::Reject || !all_lapsed {
        // Rejected, or cancelled, refunded or never taken: nothing to sell.
        return Confirmed::Lapsed;
    }
    let mut reacquired: Vec<SkuIdx> = Vec::new();
    for line in &lines {
        match steps
            .on(line.sku, move |b| b.confirm(key, now, policy))
            .await
        {
            Some(ConfirmStep::Reacquired) => reacquired.push(line.sku),
            Some(_) => {
                for sku in reacquired {
                    if steps
                        .on(sku, move |b| b.undo_reacquire(key))
                        .await
                        .is_none()
                    {
                        return Confirmed::Unknown;
                    }
                }
                return Confirmed::SoldOut;
            }
            None => return Confirmed::Unknown,
        }
    }
    Confirmed::Reacquired
}

/// Release a live hold (`refund: false`) or a sale (`refund: true`).
pub async fn release(steps: &mut impl Steps, order: &OrderRef<'_>, refund: bool) -> Released {
    let (key, now) = (order.key, order.now_us);
    let mut any = false;
    for line in merged(order.lines) {
        let step = if refund {
            steps.on(line.sku, move |b| b.refund(key)).await
        } else {
            steps.on(line.sku, move |b| b.release(key, now)).await
        };
        match step {
            Some(released) => any |= released,
            None => return Released::Unknown,
        }
    }
    if any {
        Released::Released
    } else {
        Released::Nothing
    }
}
