//! One reservation attempt per strategy, on a connection the attempt holds
//! alone, and the final-state read.
//!
//! Invariant: only `redis-lua` and `redis-decr` decide on the server;
//! `redis-naive` decides in the client and writes an absolute value (the
//! race), `redis-watch` does the same under WATCH, so EXEC applies the
//! write only if no other client changed the hash since the read.

use super::{custom, Redis, Strategy};
use crate::backend::{Reply, StoredOrders, UnknownOrder};
use crate::scenario::SkuIdx;
use redis::aio::MultiplexedConnection;
use redis::{RedisResult, Value};

pub(super) async fn reserve(
    b: &Redis,
    conn: &mut MultiplexedConnection,
    order: u64,
    sku: SkuIdx,
    qty: u64,
) -> RedisResult<Reply> {
    match b.strategy {
        Strategy::Naive => naive(b, conn, sku, qty).await,
        Strategy::Watch => watch(b, conn, order, sku, qty).await,
        Strategy::Lua => lua(b, conn, order, sku, qty).await,
        Strategy::Decr => decr(b, conn, sku, qty).await,
        Strategy::Custom => custom(b, conn, sku, qty).await,
    }
}

/// `HMGET on_hand buffer reserved`: the limit (`on_hand + buffer`) and what is reserved.
async fn read(conn: &mut MultiplexedConnection, key: &str) -> RedisResult<(i64, i64)> {
    let (on_hand, buffer, reserved): (Option<i64>, Option<i64>, Option<i64>) = redis::cmd("HMGET")
        .arg(key)
        .arg("on_hand")
        .arg("buffer")
        .arg("reserved")
        .query_async(conn)
        .await?;
    match (on_hand, buffer, reserved) {
        (Some(on_hand), Some(buffer), Some(reserved)) => Ok((on_hand + buffer, reserved)),
        _ => Err(redis::RedisError::from((
            redis::ErrorKind::ClientError,
            "no stock hash",
            key.to_string(),
        ))),
    }
}

/// HMGET, decide in the client, `HSET reserved <absolute value>`.
async fn naive(
    b: &Redis,
    conn: &mut MultiplexedConnection,
    sku: SkuIdx,
    qty: u64,
) -> RedisResult<Reply> {
    let key = b.keys.sku(sku);
    let (limit, reserved) = read(conn, &key).await?;
    b.hooks.after_read().await;
    if limit - reserved < qty as i64 {
        return Ok(Reply::SoldOut);
    }
    redis::cmd("HSET")
        .arg(&key)
        .arg("reserved")
        .arg(reserved + qty as i64)
        .query_async::<()>(conn)
        .await?;
    Ok(Reply::Granted)
}

/// WATCH, HMGET, decide (UNWATCH when sold out), MULTI / HSET / EXEC. A nil
/// EXEC means another client wrote the hash after the WATCH: a conflict.
async fn watch(
    b: &Redis,
    conn: &mut MultiplexedConnection,
    order: u64,
    sku: SkuIdx,
    qty: u64,
) -> RedisResult<Reply> {
    let key = b.keys.sku(sku);
    redis::cmd("WATCH")
        .arg(&key)
        .query_async::<()>(conn)
        .await?;
    let (limit, reserved) = read(conn, &key).await?;
    b.hooks.after_read().await;
    if limit - reserved < qty as i64 {
        redis::cmd("UNWATCH").query_async::<()>(conn).await?;
        return Ok(Reply::SoldOut);
    }
    let mut exec = redis::pipe();
    exec.atomic()
        .cmd("HSET")
        .arg(&key)
        .arg("reserved")
        .arg(reserved + qty as i64);
    if b.stores_ids {
        // Inside MULTI/EXEC: the id lands exactly when the stock does.
        exec.cmd("HSET").arg(b.keys.ids(sku)).arg(order).arg(qty);
    }
    let done: Option<Vec<Value>> = exec.query_async(conn).await?;
    Ok(match done {
        Some(_) => Reply::Granted,
        None => Reply::Conflict,
    })
}

/// `EVALSHA` of `backends/redis/reserve.lua` (`EVAL` after a NOSCRIPT).
async fn lua(
    b: &Redis,
    conn: &mut MultiplexedConnection,
    order: u64,
    sku: SkuIdx,
    qty: u64,
) -> RedisResult<Reply> {
    let mut call = b.script.key(b.keys.sku(sku));
    call.arg(qty);
    if b.stores_ids {
        call.key(b.keys.ids(sku)).arg(order);
    }
    let granted: i64 = call.invoke_async(conn).await?;
    Ok(if granted == 1 {
        Reply::Granted
    } else {
        Reply::SoldOut
    })
}

/// The scenario's reserve script; an answer other than 1 or 0 is `unknown`.
async fn custom(
    b: &Redis,
    conn: &mut MultiplexedConnection,
    sku: SkuIdx,
    qty: u64,
) -> RedisResult<Reply> {
    let scripts = b.custom.as_ref().expect("redis-custom carries its scripts");
    let value = scripts.reserve(conn, sku, qty).await?;
    Ok(custom::reserve_reply(&value).unwrap_or_else(|why| {
        let _ = b.first_error.set(why);
        Reply::Unknown
    }))
}

/// `DECRBY avail qty`; below zero, `INCRBY avail qty` gives the units back.
async fn decr(
    b: &Redis,
    conn: &mut MultiplexedConnection,
    sku: SkuIdx,
    qty: u64,
) -> RedisResult<Reply> {
    let key = b.keys.avail(sku);
    let left: i64 = redis::cmd("DECRBY")
        .arg(&key)
        .arg(qty)
        .query_async(conn)
        .await?;
    if left >= 0 {
        return Ok(Reply::Granted);
    }
    match redis::cmd("INCRBY")
        .arg(&key)
        .arg(qty)
        .query_async::<i64>(conn)
        .await
    {
        Ok(_) => Ok(Reply::SoldOut),
        Err(e) => {
            // The DECRBY applied and was not given back: the units count as
            // taken in the final state, so the order is not known either way.
            let _ = b.first_error.set(format!(
                "DECRBY applied but the INCRBY giving it back failed: {e}"
            ));
            Ok(Reply::Unknown)
        }
    }
}

/// The stored order ids, read when quiet: per SKU the sum of its hash of
/// id → quantity (by script, a thousand SKUs a call), and which of
/// `unknown` are in their SKU's hash (`HEXISTS`, pipelined).
pub(super) async fn stored_orders(
    b: &Redis,
    conn: &mut MultiplexedConnection,
    unknown: &[UnknownOrder],
) -> RedisResult<StoredOrders> {
    const CHUNK: u32 = 1000;
    let script = redis::Script::new(super::STORED_UNITS_LUA);
    let mut units = Vec::with_capacity(b.skus as usize);
    let mut start = 0u32;
    while start < b.skus {
        let end = (start + CHUNK).min(b.skus);
        let mut call = script.prepare_invoke();
        for i in start..end {
            call.key(b.keys.ids(i));
        }
        let sums: Vec<i64> = call.invoke_async(conn).await?;
        units.extend(sums.into_iter().map(|s| s.max(0) as u64));
        start = end;
    }
    let mut found = Vec::new();
    for chunk in unknown.chunks(CHUNK as usize) {
        let mut pipe = redis::pipe();
        for order in chunk {
            pipe.cmd("HEXISTS").arg(b.keys.ids(order.sku)).arg(order.id);
        }
        let stored: Vec<bool> = pipe.query_async(conn).await?;
        found.extend(
            chunk
                .iter()
                .zip(stored)
                .filter(|(_, s)| *s)
                .map(|(o, _)| o.id),
        );
    }
    Ok(StoredOrders { units, found })
}

/// Why the final state could not be read.
pub(super) struct SnapshotError {
    pub message: String,
    /// The server's answer was lost (rather than a script failing on it).
    pub lost: bool,
}

impl From<String> for SnapshotError {
    fn from(message: String) -> Self {
        SnapshotError {
            message,
            lost: false,
        }
    }
}

/// `R` per SKU: `reserved` of each hash, for `redis-decr`
/// `on_hand + buffer - avail`, for `redis-custom` what its snapshot script
/// returns; clamped at zero.
pub(super) async fn snapshot(
    b: &Redis,
    conn: &mut MultiplexedConnection,
) -> Result<Vec<u64>, SnapshotError> {
    const CHUNK: u32 = 1000;
    let mut out = Vec::with_capacity(b.skus as usize);
    let mut start = 0u32;
    while start < b.skus {
        let end = (start + CHUNK).min(b.skus);
        let mut pipe = redis::pipe();
        if let Some(scripts) = &b.custom {
            for i in start..end {
                scripts.queue_snapshot(&mut pipe, i);
            }
            let values: Vec<Value> = pipe.query_async(conn).await.map_err(lost)?;
            for (value, i) in values.iter().zip(start..end) {
                out.push(custom::snapshot_reply(value).map_err(|e| format!("SKU {i}: {e}"))?);
            }
            start = end;
            continue;
        }
        for i in start..end {
            pipe.cmd("HMGET")
                .arg(b.keys.sku(i))
                .arg("on_hand")
                .arg("buffer")
                .arg("reserved");
            if matches!(b.strategy, Strategy::Decr) {
                pipe.cmd("GET").arg(b.keys.avail(i));
            }
        }
        let values: Vec<Value> = pipe.query_async(conn).await.map_err(lost)?;
        let per = if matches!(b.strategy, Strategy::Decr) {
            2
        } else {
            1
        };
        for (n, i) in (start..end).enumerate() {
            let fields: (Option<i64>, Option<i64>, Option<i64>) =
                redis::from_redis_value(&values[n * per]).map_err(|e| e.to_string())?;
            let (Some(on_hand), Some(buffer), Some(reserved)) = fields else {
                return Err(format!("the stock hash {} is gone", b.keys.sku(i)).into());
            };
            let r = if matches!(b.strategy, Strategy::Decr) {
                let avail: Option<i64> =
                    redis::from_redis_value(&values[n * per + 1]).map_err(|e| e.to_string())?;
                let avail =
                    avail.ok_or_else(|| format!("the counter {} is gone", b.keys.avail(i)))?;
                on_hand + buffer - avail
            } else {
                reserved
            };
            out.push(r.max(0) as u64);
        }
        start = end;
    }
    Ok(out)
}

fn lost(e: redis::RedisError) -> SnapshotError {
    SnapshotError {
        lost: super::answer_lost(&e),
        message: e.to_string(),
    }
}
