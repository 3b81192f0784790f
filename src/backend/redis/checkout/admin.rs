//! `redis-lua`'s checkout work on the admin connection, outside any
//! measured call: the reset, the final reap over every SKU and the reads
//! taken when the run is quiet.

use super::super::Redis;
use crate::backend::checkout::StockState;
use crate::backend::BackendError;
use crate::scenario::Sku;
use redis::{Pipeline, RedisError, Value};

/// SKUs per pipeline or reap script.
const CHUNK: u32 = 500;

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
    let mut admin = b.admin();
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
        .query_async::<bool>(&mut b.admin())
        .await
        .map_err(|e| fail(b, "cannot read an order's record", &e))
}

/// Per SKU: `on_hand`, `held` and `sold` of its stock hash, and its live
/// holds (the members of its deadlines; the caller reaps first).
pub async fn stock_state(b: &Redis) -> Result<Vec<StockState>, BackendError> {
    let mut admin = b.admin();
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
