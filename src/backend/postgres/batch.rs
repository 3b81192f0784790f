//! `postgres-batch`: per-SKU queue servers (`backend::batch`), each
//! settling a batch of one SKU's orders with one statement
//! (`backends/postgres/batch_reserve.sql`) on a connection of the pool — one
//! row-lock acquisition and one commit for many orders.

use super::classify;
use crate::backend::batch::{Settle, Settled};
use crate::backend::sql::attempt::Failure;
use crate::backend::sql::checkout::Checkout;
use crate::backend::Reply;
use crate::scenario::SkuIdx;
use sqlx::postgres::PgPool;
use sqlx::Row;
use std::sync::OnceLock;

/// Settles batches through the pool; one connection per queue server.
pub(super) struct PgSettler {
    pub(super) pool: PgPool,
    pub(super) statement: String,
    /// The first message behind an `Error` or `Unknown` batch.
    pub(super) first_error: OnceLock<String>,
}

impl Settle for PgSettler {
    async fn settle(&self, sku: SkuIdx, quantities: &[u64]) -> Settled {
        let Some(mut checkout) = Checkout::acquire(&self.pool, &self.first_error).await else {
            return Settled::All(Reply::Error);
        };
        let asked: Vec<i64> = quantities.iter().map(|&q| q as i64).collect();
        let answer = sqlx::query(&self.statement)
            .bind(sku as i64)
            .bind(&asked)
            .fetch_one(checkout.conn())
            .await
            .and_then(|row| Ok((row.try_get::<Vec<bool>, _>(0)?, row.try_get::<i64, _>(1)?)));
        let answer = answer.map(|(granted, changed)| {
            let units: u64 = quantities
                .iter()
                .zip(&granted)
                .filter(|(_, &g)| g)
                .map(|(q, _)| q)
                .sum();
            (granted, changed, units)
        });
        match checkout.settle_any(
            answer.map_err(Failure::autocommit),
            classify,
            &self.first_error,
        ) {
            Ok((granted, _, _)) if granted.len() != quantities.len() => {
                // No stock row: the update changed nothing.
                let _ = self.first_error.set(format!("no stock row for sku {sku}"));
                Settled::All(Reply::Error)
            }
            // Grants were decided but the conditional update refused them
            // (it cannot with the row locked; if it did, nothing was added).
            Ok((_, 0, units)) if units > 0 => Settled::Each(vec![false; quantities.len()]),
            Ok((granted, _, _)) => Settled::Each(granted),
            Err(reply) => Settled::All(reply),
        }
    }
}
