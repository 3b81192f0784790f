//! `redis-lua`'s checkout calls: each runs one script (`scripts.rs`) on a
//! client connection, keyed by the order's record and, per merged line, its
//! SKU's stock hash and hold deadlines (`backends/README.md`, "Checkout").
//! Setting up, the final reap and the reads run on the admin connection.
//!
//! Invariant: a reply is classified as the plain reserve's are: no
//! connection (never sent) is `Error`; once sent, a failure is `Unknown`,
//! since Redis does not roll back what a script wrote before it failed.

mod scripts;

pub use scripts::Scripts;

use super::Redis;
use crate::backend::checkout::{merged, Confirmed, Line, OrderRef, Released, StockState, Take};
use crate::backend::{BackendError, Reply, SentFlag};
use crate::scenario::{AfterExpiry, Sku, SkuIdx, MAX_UNITS};
use redis::{Pipeline, RedisError, Script, Value};

/// SKUs per pipeline or reap script of the admin calls.
const CHUNK: u32 = 500;

/// The largest stock delta a script adds: stock counts stay within 2^53 - 1,
/// where Lua's numbers are still exact integers.
const MAX_DELTA: i64 = MAX_UNITS as i64;

/// Why a script gave no answer.
enum Failed {
    /// Never reached the server.
    NotSent,
    /// Sent; it may or may not have applied.
    Sent,
}

pub async fn take(b: &Redis, take: &Take<'_>, sent: &SentFlag) -> Reply {
    let expires = take.expires_us.map(|e| e.to_string()).unwrap_or_default();
    let (keys, args) = order_call(b, take.key, take.lines, take.now_us, &expires);
    match invoke(b, sent, |s| &s.take, &keys, &args).await {
        Ok(1) => Reply::Granted,
        Ok(0) => Reply::SoldOut,
        Ok(other) => odd(b, "take", other, Reply::Unknown),
        Err(Failed::NotSent) => Reply::Error,
        Err(Failed::Sent) => Reply::Unknown,
    }
}

pub async fn confirm(
    b: &Redis,
    order: &OrderRef<'_>,
    policy: AfterExpiry,
    sent: &SentFlag,
) -> Confirmed {
    let (keys, args) = order_call(b, order.key, order.lines, order.now_us, policy.as_str());
    match invoke(b, sent, |s| &s.confirm, &keys, &args).await {
        Ok(1) => Confirmed::Sold,
        Ok(2) => Confirmed::Reacquired,
        Ok(3) => Confirmed::Lapsed,
        Ok(4) => Confirmed::SoldOut,
        Ok(5) => Confirmed::AlreadySold,
        Ok(other) => odd(b, "confirm", other, Confirmed::Unknown),
        Err(Failed::NotSent) => Confirmed::Error,
        Err(Failed::Sent) => Confirmed::Unknown,
    }
}

/// Release a live hold (`refund: false`) or a sale (`refund: true`).
pub async fn release(b: &Redis, order: &OrderRef<'_>, refund: bool, sent: &SentFlag) -> Released {
    let (keys, args) = order_call(b, order.key, order.lines, order.now_us, "");
    let pick: fn(&Scripts) -> &Script = match refund {
        true => |s| &s.refund,
        false => |s| &s.release,
    };
    match invoke(b, sent, pick, &keys, &args).await {
        Ok(1) => Released::Released,
        Ok(0) => Released::Nothing,
        Ok(other) => odd(b, "release", other, Released::Unknown),
        Err(Failed::NotSent) => Released::Error,
        Err(Failed::Sent) => Released::Unknown,
    }
}

pub async fn adjust(b: &Redis, sku: SkuIdx, delta: i64, sent: &SentFlag) -> Reply {
    let keys = [b.keys.stock(sku)];
    let args = [delta.clamp(-MAX_DELTA, MAX_DELTA).to_string()];
    match invoke(b, sent, |s| &s.adjust, &keys, &args).await {
        Ok(1) => Reply::Granted,
        Ok(other) => odd(b, "adjust", other, Reply::Unknown),
        Err(Failed::NotSent) => Reply::Error,
        Err(Failed::Sent) => Reply::Unknown,
    }
}

/// `KEYS`: the order's record, then each merged line's stock hash and hold
/// deadlines; `ARGV`: now, key, the script's own argument, then each line's
/// SKU and quantity (`backends/redis/checkout/lib.lua`).
fn order_call(
    b: &Redis,
    key: u64,
    lines: &[Line],
    now_us: u64,
    own: &str,
) -> (Vec<String>, Vec<String>) {
    let lines = merged(lines);
    let mut keys = Vec::with_capacity(1 + 2 * lines.len());
    let mut args = Vec::with_capacity(3 + 2 * lines.len());
    keys.push(b.keys.order(key));
    args.extend([now_us.to_string(), key.to_string(), own.to_string()]);
    for line in &lines {
        keys.extend([b.keys.stock(line.sku), b.keys.holds(line.sku)]);
        args.extend([line.sku.to_string(), line.qty.to_string()]);
    }
    (keys, args)
}

/// Run one checkout script on a client connection the call holds alone.
async fn invoke(
    b: &Redis,
    sent: &SentFlag,
    pick: fn(&Scripts) -> &Script,
    keys: &[String],
    args: &[String],
) -> Result<i64, Failed> {
    let Some(scripts) = &b.checkout else {
        let _ = b
            .first_error
            .set(format!("{} has no checkout calls", b.name));
        return Err(Failed::NotSent);
    };
    let mut conn = match b.lease().await {
        Ok(conn) => conn,
        Err(e) => {
            let _ = b.first_error.set(format!("no connection: {e}"));
            return Err(Failed::NotSent);
        }
    };
    let mut call = pick(scripts).prepare_invoke();
    for key in keys {
        call.key(key);
    }
    for arg in args {
        call.arg(arg);
    }
    sent.mark();
    match call.invoke_async::<i64>(&mut conn).await {
        Ok(answer) => {
            b.give_back(conn, true);
            Ok(answer)
        }
        Err(e) => {
            let _ = b.first_error.set(e.to_string());
            // A failed reply may leave the connection unreadable: drop it.
            b.give_back(conn, false);
            Err(Failed::Sent)
        }
    }
}

/// A script answer outside its documented set: it ran, so `unknown`.
fn odd<T>(b: &Redis, call: &str, answer: i64, unknown: T) -> T {
    let _ = b
        .first_error
        .set(format!("the {call} script answered {answer}"));
    unknown
}

/// Queue the checkout reset of one SKU: its stock, no holds.
pub fn queue_reset(b: &Redis, pipe: &mut Pipeline, index: u32, sku: &Sku) {
    pipe.cmd("HSET")
        .arg(b.keys.stock(index))
        .arg("on_hand")
        .arg(sku.stock)
        .arg("buffer")
        .arg(sku.buffer)
        .arg("held")
        .arg(0)
        .arg("sold")
        .arg(0)
        .ignore();
    pipe.cmd("DEL").arg(b.keys.holds(index)).ignore();
}

/// Lapse every hold due at `now_us` on every SKU, a chunk of SKUs per script.
pub async fn reap(b: &Redis, now_us: u64) -> Result<(), BackendError> {
    let Some(scripts) = &b.checkout else {
        return Ok(());
    };
    let mut admin = b.admin.clone();
    for start in (0..b.skus).step_by(CHUNK as usize) {
        let mut call = scripts.reap.prepare_invoke();
        for i in start..(start + CHUNK).min(b.skus) {
            call.key(b.keys.stock(i)).key(b.keys.holds(i));
        }
        call.arg(now_us)
            .invoke_async::<i64>(&mut admin)
            .await
            .map_err(|e| fail(b, "cannot reap lapsed holds", &e))?;
    }
    Ok(())
}

/// Whether the order keyed `key` has a record: only an applied take writes one.
pub async fn took_effect(b: &Redis, key: u64) -> Result<bool, BackendError> {
    redis::cmd("EXISTS")
        .arg(b.keys.order(key))
        .query_async::<bool>(&mut b.admin.clone())
        .await
        .map_err(|e| fail(b, "cannot read an order's record", &e))
}

/// Per SKU: `on_hand`, `held` and `sold` of its stock hash, and its live
/// holds (the members of its deadlines; the caller reaps first).
pub async fn stock_state(b: &Redis) -> Result<Vec<StockState>, BackendError> {
    let mut admin = b.admin.clone();
    let mut out = Vec::with_capacity(b.skus as usize);
    for start in (0..b.skus).step_by(CHUNK as usize) {
        let end = (start + CHUNK).min(b.skus);
        let mut pipe = redis::pipe();
        for i in start..end {
            pipe.cmd("HMGET")
                .arg(b.keys.stock(i))
                .arg("on_hand")
                .arg("held")
                .arg("sold");
            pipe.cmd("ZCARD").arg(b.keys.holds(i));
        }
        let values: Vec<Value> = pipe
            .query_async(&mut admin)
            .await
            .map_err(|e| fail(b, "cannot read the checkout stock", &e))?;
        for (pair, i) in values.chunks(2).zip(start..end) {
            let fields: (Option<i64>, Option<i64>, Option<i64>) = redis::from_redis_value(&pair[0])
                .map_err(|e| fail(b, "cannot read the checkout stock", &e))?;
            let (Some(on_hand), Some(held), Some(sold)) = fields else {
                let gone = format!("the stock hash {} is gone", b.keys.stock(i));
                return Err(BackendError::new(&b.name, gone));
            };
            let holds: u64 = redis::from_redis_value(&pair[1])
                .map_err(|e| fail(b, "cannot read the hold deadlines", &e))?;
            // Clamped at zero, as the memory books' counters saturate.
            let unsigned = |n: i64| n.max(0) as u64;
            out.push(StockState {
                on_hand: unsigned(on_hand),
                held: unsigned(held),
                sold: unsigned(sold),
                holds,
            });
        }
    }
    Ok(out)
}

fn fail(b: &Redis, what: &str, e: &RedisError) -> BackendError {
    BackendError::new(&b.name, format!("{what} on {}: {}", b.url, b.scrub(e)))
}
