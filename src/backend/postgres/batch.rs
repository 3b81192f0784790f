//! `postgres-batch`: per-SKU queue servers (`backend::batch`), each
//! settling a batch of one SKU's orders with one statement on a connection
//! of the pool — one row-lock acquisition and one commit for many orders.
//!
//! Two statements, one per batch:
//! - the fast path, `batch_take.sql`: when every order of the batch fits the
//!   units the SKU's server last saw free, one conditional `UPDATE` adds
//!   them all and returns what is left free;
//! - the exact path, `batch_reserve.sql`: otherwise (near sell-out, on the
//!   first batch, after a failure, or when the fast path's condition fails),
//!   lock the row, grant first-fit against what it holds, add, and return
//!   the flags and what is left free.
//!
//! Invariant: a refusal is only ever decided by the exact path, on the row
//! as locked, never on the remembered figure; the remembered figure can only
//! make the fast path try and fail, never grant what the row lacks, since
//! the `UPDATE`'s condition is checked on the row itself.

use super::classify;
use crate::backend::batch::{Settle, Settled};
use crate::backend::sql::attempt::Failure;
use crate::backend::sql::checkout::Checkout;
use crate::backend::Reply;
use crate::scenario::SkuIdx;
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{PgConnection, Row};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// No figure remembered for the SKU.
const UNKNOWN: u64 = u64::MAX;

/// Settles batches through the pool; one connection per queue server.
pub(super) struct PgSettler {
    pool: PgPool,
    take: String,
    first_fit: String,
    /// Per SKU, the units its last batch left free (`UNKNOWN` when none is
    /// remembered). Only the SKU's own server reads and writes its slot.
    free: Vec<AtomicU64>,
    /// The first message behind an `Error` or `Unknown` batch.
    pub(super) first_error: OnceLock<String>,
}

/// What the exact path answered: per order granted or not, whether the
/// update changed the row, and the units left free.
type Exact = (Vec<bool>, i64, Option<i64>);

impl PgSettler {
    pub(super) fn new(pool: PgPool, take: String, first_fit: String, skus: usize) -> Self {
        PgSettler {
            pool,
            take,
            first_fit,
            free: (0..skus).map(|_| AtomicU64::new(UNKNOWN)).collect(),
            first_error: OnceLock::new(),
        }
    }

    fn remember(&self, sku: SkuIdx, free: Option<i64>) {
        let value = free.map_or(UNKNOWN, |f| f.max(0) as u64);
        self.free[sku as usize].store(value, Ordering::Relaxed);
    }

    /// The fast path if the remembered figure says the batch fits and the
    /// row agrees; `None` when the batch must take the exact path.
    async fn take_all(
        &self,
        conn: &mut PgConnection,
        sku: SkuIdx,
        units: u64,
    ) -> Result<Option<i64>, sqlx::Error> {
        let known = self.free[sku as usize].load(Ordering::Relaxed);
        if known == UNKNOWN || units > known {
            return Ok(None);
        }
        sqlx::query_scalar::<_, i64>(&self.take)
            .bind(sku as i64)
            .bind(units as i64)
            .fetch_optional(conn)
            .await
    }

    async fn exact(
        &self,
        conn: &mut PgConnection,
        sku: SkuIdx,
        quantities: &[u64],
    ) -> Result<Exact, sqlx::Error> {
        let asked: Vec<i64> = quantities.iter().map(|&q| q as i64).collect();
        let row: PgRow = sqlx::query(&self.first_fit)
            .bind(sku as i64)
            .bind(&asked)
            .fetch_one(conn)
            .await?;
        Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
    }

    async fn attempt(
        &self,
        conn: &mut PgConnection,
        sku: SkuIdx,
        quantities: &[u64],
    ) -> Result<Settled, sqlx::Error> {
        let units: u64 = quantities.iter().sum();
        if let Some(free) = self.take_all(conn, sku, units).await? {
            self.remember(sku, Some(free));
            return Ok(Settled::Each(vec![true; quantities.len()]));
        }
        let (granted, changed, free) = self.exact(conn, sku, quantities).await?;
        let granted_units: u64 = quantities
            .iter()
            .zip(&granted)
            .filter(|(_, &g)| g)
            .map(|(q, _)| q)
            .sum();
        if granted.len() != quantities.len() {
            // No stock row: the update changed nothing.
            self.remember(sku, None);
            let _ = self.first_error.set(format!("no stock row for sku {sku}"));
            return Ok(Settled::All(Reply::Error));
        }
        if changed == 0 && granted_units > 0 {
            // Grants were decided but the conditional update refused them
            // (it cannot with the row locked; if it did, nothing was added).
            self.remember(sku, None);
            return Ok(Settled::Each(vec![false; quantities.len()]));
        }
        self.remember(sku, free);
        Ok(Settled::Each(granted))
    }
}

impl Settle for PgSettler {
    async fn settle(&self, sku: SkuIdx, quantities: &[u64]) -> Settled {
        let Some(mut checkout) = Checkout::acquire(&self.pool, &self.first_error).await else {
            return Settled::All(Reply::Error);
        };
        let attempt = self.attempt(checkout.conn(), sku, quantities).await;
        match checkout.settle_any(
            attempt.map_err(Failure::autocommit),
            classify,
            &self.first_error,
        ) {
            Ok(settled) => settled,
            Err(reply) => {
                // What the failed statement did is not known: read afresh.
                self.remember(sku, None);
                Settled::All(reply)
            }
        }
    }
}
