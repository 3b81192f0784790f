//! `mysql-atomic`'s checkout calls: `sql/orders.rs` decides, over the
//! statements of `backends/mysql/checkout/`. A client's call is one
//! transaction on a connection of the pool; the final reap and the reads
//! run on the admin connection, which stays open after `quiesce`.
//!
//! MariaDB's `?` cannot repeat, so each statement's parameters (in the
//! order `orders::Op` gives them) are bound in the order its text needs.

use super::{classify, Mysql, Strategy};
use crate::backend::checkout::StockState;
use crate::backend::sql::attempt::{end, Arg, Failure};
use crate::backend::sql::checkout::Checkout;
use crate::backend::sql::order_statements::OrderStatements;
use crate::backend::sql::orders::{self, Call, Op, OrderTx, Outcome, Part};
use crate::backend::sql::template::{render_one, Dialect};
use crate::backend::{BackendError, Reply, SentFlag};
use crate::scenario::SkuIdx;
use sqlx::{Executor, MySqlConnection};

pub(super) type Statements = OrderStatements<String>;

pub(super) fn render(run_id: &str) -> Statements {
    crate::order_files!("mysql").render(|text| render_one(text, run_id, Dialect::Mysql))
}

/// Which of `op`'s parameters each `?` of its file takes, in order (the
/// files' "Binds:" lines).
fn binds(op: Op) -> &'static [usize] {
    match op {
        Op::Lock => &[0],
        Op::ReapStock => &[0, 1, 0, 0, 1],
        Op::ReapOrders => &[0, 1],
        Op::ClaimHold | Op::ClaimSale => &[1, 0, 1],
        Op::RecordHold => &[0, 1, 2, 3],
        Op::RecordSale => &[0, 1, 2],
        Op::Shift => &[1, 2, 0],
        Op::Mark => &[2, 0, 1],
    }
}

struct Tx<'c> {
    conn: &'c mut MySqlConnection,
    sql: &'c Statements,
}

impl OrderTx for Tx<'_> {
    async fn run(&mut self, op: Op, args: &[Arg<'static>]) -> Result<u64, sqlx::Error> {
        let mut query = sqlx::query(self.sql.of(op));
        for &i in binds(op) {
            query = match args[i] {
                Arg::Int(v) => query.bind(v),
                Arg::Text(v) => query.bind(v),
            };
        }
        Ok(query.execute(&mut *self.conn).await?.rows_affected())
    }

    async fn parts(&mut self, key: i64) -> Result<Vec<Part>, sqlx::Error> {
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(&self.sql.parts)
            .bind(key)
            .fetch_all(&mut *self.conn)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(sku, qty, state)| Part { sku, qty, state })
            .collect())
    }
}

/// One call in its own transaction on `conn`.
async fn in_transaction(
    conn: &mut MySqlConnection,
    sql: &Statements,
    call: Call<'_>,
) -> Result<Outcome, Failure> {
    conn.execute("BEGIN").await.map_err(Failure::autocommit)?;
    let result = orders::run(
        &mut Tx {
            conn: &mut *conn,
            sql,
        },
        call,
    )
    .await;
    end::<sqlx::MySql, _>(conn, result, Outcome::commits).await
}

impl Mysql {
    /// Only `mysql-atomic` has the order table; the other strategies
    /// keep the backend contract's defaults.
    pub(super) fn has_orders(&self) -> bool {
        matches!(self.strategy, Strategy::Atomic)
    }

    /// A client's checkout call; a failure as the reply it stands for.
    pub(super) async fn order_call(
        &self,
        call: Call<'_>,
        sent: &SentFlag,
    ) -> Result<Outcome, Reply> {
        if !self.has_orders() {
            return Err(Reply::Error);
        }
        let Some(mut checkout) = Checkout::acquire(&self.pool, &self.first_error).await else {
            return Err(Reply::Error);
        };
        sent.mark();
        let attempt = in_transaction(checkout.conn(), &self.orders, call).await;
        checkout.settle_any(attempt, classify, &self.first_error)
    }

    /// A restock or correction: one statement in autocommit.
    pub(super) async fn adjust_stock(&self, sku: SkuIdx, delta: i64, sent: &SentFlag) -> Reply {
        if !self.has_orders() {
            return Reply::Error;
        }
        let Some(mut checkout) = Checkout::acquire(&self.pool, &self.first_error).await else {
            return Reply::Error;
        };
        sent.mark();
        let attempt = sqlx::query(&self.orders.adjust)
            .bind(delta)
            .bind(sku as i64)
            .execute(checkout.conn())
            .await
            .map(|done| match done.rows_affected() {
                1 => Reply::Granted,
                _ => Reply::Error,
            })
            .map_err(Failure::autocommit);
        checkout.settle(attempt, classify, &self.first_error)
    }

    /// Lapse every hold due at `now_us`, SKU by SKU in ascending order.
    pub(super) async fn reap_lapsed(&self, now_us: u64) -> Result<(), BackendError> {
        if !self.has_orders() {
            return Ok(());
        }
        let fail = |e: &sqlx::Error| self.fail("cannot reap lapsed holds", e);
        let skus: Vec<i64> = sqlx::query_scalar(&self.orders.lapsed)
            .bind(now_us as i64)
            .fetch_all(&self.admin)
            .await
            .map_err(|e| fail(&e))?;
        if skus.is_empty() {
            return Ok(());
        }
        let mut checkout = Checkout::new(self.admin.acquire().await.map_err(|e| fail(&e))?);
        match in_transaction(checkout.conn(), &self.orders, Call::Reap(&skus, now_us)).await {
            Ok(_) => {
                checkout.release();
                Ok(())
            }
            Err(failure) => {
                if failure.idle {
                    checkout.release();
                }
                Err(fail(&failure.error))
            }
        }
    }

    pub(super) async fn order_took_effect(&self, key: u64) -> Result<bool, BackendError> {
        if !self.has_orders() {
            return Ok(false);
        }
        let rows: i64 = sqlx::query_scalar(&self.orders.took_effect)
            .bind(key as i64)
            .fetch_one(&self.admin)
            .await
            .map_err(|e| self.fail("cannot read an order", &e))?;
        Ok(rows > 0)
    }

    /// Per SKU: stock, held, sold and live holds (only `mysql-atomic`
    /// keeps them; `None` for the other strategies).
    pub(super) async fn order_states(&self) -> Result<Option<Vec<StockState>>, BackendError> {
        if !self.has_orders() {
            return Ok(None);
        }
        let rows = sqlx::query_as(&self.orders.state)
            .fetch_all(&self.admin)
            .await
            .map_err(|e| self.fail("cannot read final stock", &e))?;
        Ok(Some(orders::states(rows, self.sku_count)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_statement_binds_each_placeholder() {
        let sql = render("abcdefghijkl");
        for op in [
            Op::Lock,
            Op::ReapStock,
            Op::ReapOrders,
            Op::ClaimHold,
            Op::ClaimSale,
            Op::RecordHold,
            Op::RecordSale,
            Op::Shift,
            Op::Mark,
        ] {
            assert_eq!(sql.of(op).matches('?').count(), binds(op).len(), "{op:?}");
        }
    }
}
