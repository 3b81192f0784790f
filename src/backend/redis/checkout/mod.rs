//! `redis-lua`'s checkout calls: each runs one script (`scripts.rs`) on a
//! client connection, keyed by the order's record and, per merged line, its
//! SKU's stock hash and hold deadlines (`backends/README.md`, "Checkout").
//! Setting up, the final reap and the reads are in `admin.rs`.
//!
//! Invariant: a reply is classified as `redis-custom`'s reserve is: no
//! connection (never sent) is `Error`; once sent, a failure is `Unknown`,
//! since Redis does not roll back what a script wrote before it failed.

mod admin;
mod scripts;

pub use admin::{queue_reset, reap, stock_state, took_effect};
pub use scripts::Scripts;

use super::Redis;
use crate::backend::checkout::{merged, Confirmed, Line, OrderRef, Released, Take};
use crate::backend::{Reply, SentFlag};
use crate::scenario::{AfterExpiry, SkuIdx, MAX_UNITS};
use redis::Script;

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
