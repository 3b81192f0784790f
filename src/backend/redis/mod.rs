//! The Redis backends over the `redis` crate: naive, watch, lua, decr and
//! the team's own Lua (`custom`), one strategy each (`strategies.rs`).
//!
//! Each run gets its own keys (`atpsim:<run id>:*`, with a marker hash
//! `atpsim:<run id>:meta`; `redis-lua`'s checkout keys under `co:`,
//! `checkout/`), client connections named `atpsim-<run id>`
//! (one per client, or one shared multiplexed connection) and a separate
//! admin connection that sets up, checks for quiet, reads the final state
//! and removes the keys.
//!
//! Invariant: a client connection is used by one attempt at a time in the
//! dedicated mode, and dropped — never reused — after I/O trouble or, for
//! `redis-watch`, after any error, so a stale WATCH is never followed by an
//! EXEC; the final state is read after no client connection of the run is
//! left on the server (`quiesce`).

mod checkout;
mod connections;
pub mod custom;
mod keys;
mod private;
mod scripts;
mod strategies;

use super::checkout::{Confirmed, OrderRef, Released, StockState, Take};
use super::sql::namespace::new_run_id;
use super::sql::session;
use super::{Backend, BackendError, Hooks, OpenContext, Reply, SentFlag, StoredIds, UnknownOrder};
use crate::scenario::{AfterExpiry, BackendSpec, ConnectionMode, Sku, SkuIdx};
use keys::Keys;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, ErrorKind, RedisError, RedisResult};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// The check-and-reserve script of `redis-lua`.
const RESERVE_LUA: &str = include_str!("../../../backends/redis/reserve.lua");
/// The sums of the stored order ids per SKU, read when quiet.
const STORED_UNITS_LUA: &str = include_str!("../../../backends/redis/stored_units.lua");

/// Which pattern a `Redis` backend runs.
#[derive(Debug, Clone, Copy)]
pub enum Strategy {
    Naive,
    Watch,
    Lua,
    Decr,
    /// The scenario's own scripts (`scripts.rs`).
    Custom,
}

impl Strategy {
    /// Strategies whose reservation can store the order's id in the same
    /// atomic step as its stock change: the script, and MULTI/EXEC.
    fn can_store_ids(self) -> bool {
        matches!(self, Strategy::Lua | Strategy::Watch)
    }
}

pub struct Redis {
    name: String,
    /// Redacted, for messages.
    url: String,
    /// The raw URL, only to scrub its password out of driver messages.
    raw_url: String,
    strategy: Strategy,
    /// Each grant stores its order id (`Strategy::can_store_ids` and the
    /// backend's `order_ids`).
    stores_ids: bool,
    mode: ConnectionMode,
    client: redis::Client,
    config: AsyncConnectionConfig,
    /// `atpsim-<run id>`, set on every client connection.
    client_name: String,
    /// Behind a lock only so a restart of a private server can replace it.
    admin: Mutex<MultiplexedConnection>,
    /// The server the backend started for itself (`server = "private"`).
    private: Option<private::PrivateServer>,
    /// The run's marker key was gone when the final state was read: the
    /// server lost its data (a restart without persistence).
    lost_data: AtomicBool,
    /// Dedicated mode: the idle client connections.
    free: Mutex<Vec<MultiplexedConnection>>,
    /// Multiplexed mode: the one connection every client shares.
    shared: Mutex<Option<MultiplexedConnection>>,
    /// Set by `quiesce`: no client connection is opened after it.
    closed: AtomicBool,
    /// `CLIENT ID` of every client connection, recorded as each connects.
    client_ids: Mutex<Vec<String>>,
    keys: Keys,
    run_id: String,
    script: redis::Script,
    /// `redis-custom`'s scripts and each SKU's keys.
    custom: Option<scripts::CustomScripts>,
    /// `redis-lua`'s checkout scripts, the only kind with checkout calls.
    checkout: Option<checkout::Scripts>,
    hooks: Hooks,
    keep: bool,
    client_timeout: Duration,
    environment: serde_json::Value,
    /// The first message behind an `Error` or `Unknown` reply.
    first_error: OnceLock<String>,
    skus: u32,
}

/// Whether the answer to a sent command was lost (rather than refused).
fn answer_lost(error: &RedisError) -> bool {
    error.is_io_error() || error.is_timeout() || error.is_connection_dropped()
}

/// The reply a failed command stands for.
fn classify(error: &RedisError) -> Reply {
    if answer_lost(error) {
        // Sent, and the answer was lost: it may have applied.
        return Reply::Unknown;
    }
    match error.kind() {
        // EXECABORT: the transaction was discarded.
        ErrorKind::ExecAbortError => Reply::Conflict,
        // The server refused (or the client found no stock): nothing applied.
        _ => Reply::Error,
    }
}

impl Backend for Redis {
    async fn prepare(&self, skus: &[Sku]) -> Result<(), BackendError> {
        let mut admin = self.admin();
        for (n, chunk) in skus.chunks(1000).enumerate() {
            let mut pipe = redis::pipe();
            for (j, s) in chunk.iter().enumerate() {
                let i = (n * 1000 + j) as u32;
                if let Some(custom) = &self.custom {
                    custom.queue_reset(&mut pipe, i, s);
                    continue;
                }
                pipe.cmd("HSET")
                    .arg(self.keys.sku(i))
                    .arg("on_hand")
                    .arg(s.stock)
                    .arg("buffer")
                    .arg(s.buffer)
                    .arg("reserved")
                    .arg(0)
                    .ignore();
                if matches!(self.strategy, Strategy::Decr) {
                    pipe.cmd("SET")
                        .arg(self.keys.avail(i))
                        .arg(s.stock + s.buffer)
                        .ignore();
                }
                if self.checkout.is_some() {
                    checkout::queue_reset(self, &mut pipe, i, s);
                }
            }
            pipe.query_async::<()>(&mut admin).await.map_err(|e| {
                let Some(custom) = self.custom.as_ref().filter(|_| !answer_lost(&e)) else {
                    return BackendError::new(
                        &self.name,
                        format!("cannot reset stock on {}: {}", self.url, self.scrub(&e)),
                    );
                };
                // The server ran the team's reset and it failed.
                BackendError::bad_input(
                    &self.name,
                    format!(
                        "{} failed on {}: {}",
                        custom.describe("reset"),
                        self.url,
                        custom.locate("reset", &self.scrub(&e))
                    ),
                )
            })?;
        }
        if self.stores_ids {
            self.keys.remove_ids(&mut admin).await.map_err(|e| {
                BackendError::new(
                    &self.name,
                    format!(
                        "cannot remove stored order ids on {}: {}",
                        self.url,
                        self.scrub(&e)
                    ),
                )
            })?;
        }
        if self.checkout.is_some() {
            // No key of an earlier run may count as seen.
            self.keys.remove_orders(&mut admin).await.map_err(|e| {
                BackendError::new(
                    &self.name,
                    format!(
                        "cannot remove order records on {}: {}",
                        self.url,
                        self.scrub(&e)
                    ),
                )
            })?;
        }
        Ok(())
    }

    async fn reserve(&self, order: u64, sku: SkuIdx, qty: u64, sent: &SentFlag) -> Reply {
        let mut conn = match self.lease().await {
            Ok(conn) => conn,
            Err(e) => {
                let _ = self.first_error.set(format!("no connection: {e}"));
                return Reply::Error;
            }
        };
        sent.mark();
        match strategies::reserve(self, &mut conn, order, sku, qty).await {
            Ok(reply) => {
                self.give_back(conn, true);
                reply
            }
            Err(e) => {
                let reply = match self.strategy {
                    // Redis does not roll a script back: one that failed
                    // part-way may have written before it failed.
                    Strategy::Custom if !answer_lost(&e) => Reply::Unknown,
                    _ => classify(&e),
                };
                if matches!(reply, Reply::Error | Reply::Unknown) {
                    let message = match &self.custom {
                        Some(custom) => custom.locate("reserve", &e.to_string()),
                        None => e.to_string(),
                    };
                    let _ = self.first_error.set(message);
                }
                // WATCH state belongs to the connection: after any error
                // it is dropped rather than trusted.
                let reusable = reply != Reply::Unknown && !matches!(self.strategy, Strategy::Watch);
                self.give_back(conn, reusable);
                reply
            }
        }
    }

    async fn quiesce(&self) -> Result<(), BackendError> {
        self.drop_clients();
        let scrub = |e: RedisError| self.scrub(&e);
        session::wait_quiet(
            &self.name,
            session::quiet_deadline(self.client_timeout),
            || async {
                // A connection an attempt still held may come back after the
                // first drop; drop again.
                self.drop_clients();
                self.run_clients()
                    .await
                    .map(|ids| ids.len() as i64)
                    .map_err(scrub)
            },
            || async {
                let ids = self.run_clients().await.map_err(scrub)?;
                self.kill_clients(&ids).await.map_err(scrub)
            },
        )
        .await
    }

    async fn kill_connections(&self) -> Result<(), String> {
        let ids = self.client_ids.lock().expect("client ids").clone();
        self.kill_clients(&ids).await.map_err(|e| self.scrub(&e))
    }

    async fn snapshot(&self) -> Result<Vec<u64>, BackendError> {
        // A server that came back without the run's marker lost every key
        // of the run: what it shows reserved is nothing at all.
        if !self.marker_exists().await? {
            self.lost_data.store(true, Ordering::Release);
            let lost = format!(
                "the server lost the run's keys ({} is gone): it restarted without persistence \
                 or was flushed; its grants count as lost updates",
                self.keys.meta()
            );
            eprintln!("warning: {}: {lost}", self.name);
            let _ = self.first_error.set(lost);
            return Ok(vec![0; self.skus as usize]);
        }
        strategies::snapshot(self, &mut self.admin())
            .await
            .map_err(|e| {
                let message = crate::redact::message(&e.message, &self.raw_url);
                match (&self.custom, e.lost) {
                    (Some(custom), false) => BackendError::bad_input(
                        &self.name,
                        format!(
                            "{} failed: {}",
                            custom.describe("snapshot"),
                            custom.locate("snapshot", &message)
                        ),
                    ),
                    _ => {
                        BackendError::new(&self.name, format!("cannot read final stock: {message}"))
                    }
                }
            })
    }

    async fn stored_orders(&self, unknown: &[UnknownOrder]) -> Result<StoredIds, BackendError> {
        if !self.stores_ids {
            return Ok(StoredIds::NotStored);
        }
        if self.lost_data.load(Ordering::Acquire) {
            return Ok(StoredIds::Lost);
        }
        strategies::stored_orders(self, &mut self.admin(), unknown)
            .await
            .map(StoredIds::Stored)
            .map_err(|e| {
                BackendError::new(
                    &self.name,
                    format!("cannot read stored order ids: {}", self.scrub(&e)),
                )
            })
    }

    async fn restart_server(&self) -> Result<(), String> {
        let Some(server) = &self.private else {
            return Err("only a private server (`server = \"private\"`) is restarted".into());
        };
        server.restart().await?;
        // The old connections died with the server; clients reconnect as
        // their attempts fail, the admin connection here.
        let mut admin = self
            .client
            .get_multiplexed_async_connection()
            .await
            .map_err(|e| self.scrub(&e))?;
        connections::set_name(&mut admin, &format!("{}-admin", self.client_name))
            .await
            .map_err(|e| self.scrub(&e))?;
        *self.admin.lock().expect("admin connection") = admin;
        Ok(())
    }

    async fn pause_writes(&self, pause: Duration) -> Result<(), String> {
        if self.private.is_none() {
            return Err("only a private server (`server = \"private\"`) is paused".into());
        }
        redis::cmd("CLIENT")
            .arg("PAUSE")
            .arg(pause.as_millis().max(1) as u64)
            .arg("WRITE")
            .query_async::<()>(&mut self.admin())
            .await
            .map_err(|e| self.scrub(&e))
    }

    async fn unpause_writes(&self) -> Result<(), String> {
        if self.private.is_none() {
            return Ok(());
        }
        redis::cmd("CLIENT")
            .arg("UNPAUSE")
            .query_async::<()>(&mut self.admin())
            .await
            .map_err(|e| self.scrub(&e))
    }

    async fn close(&self) {
        self.drop_clients();
        if self.keep {
            eprintln!(
                "note: {}: kept keys {}* on {} (--keep)",
                self.name,
                self.keys.prefix(),
                self.url
            );
            return;
        }
        if let Err(e) = self.remove_keys().await {
            eprintln!(
                "warning: {}: could not remove keys {}* on {}: {}",
                self.name,
                self.keys.prefix(),
                self.url,
                self.scrub(&e)
            );
        }
    }

    fn first_error(&self) -> Option<String> {
        let message = self.first_error.get()?;
        Some(crate::redact::message(message, &self.raw_url))
    }

    fn environment(&self) -> serde_json::Value {
        self.environment.clone()
    }

    async fn take(&self, take: &Take<'_>, sent: &SentFlag) -> Reply {
        checkout::take(self, take, sent).await
    }

    async fn confirm(
        &self,
        order: &OrderRef<'_>,
        policy: AfterExpiry,
        sent: &SentFlag,
    ) -> Confirmed {
        checkout::confirm(self, order, policy, sent).await
    }

    async fn release(&self, order: &OrderRef<'_>, sent: &SentFlag) -> Released {
        checkout::release(self, order, false, sent).await
    }

    async fn refund(&self, order: &OrderRef<'_>, sent: &SentFlag) -> Released {
        checkout::release(self, order, true, sent).await
    }

    async fn adjust(&self, sku: SkuIdx, delta: i64, sent: &SentFlag) -> Reply {
        checkout::adjust(self, sku, delta, sent).await
    }

    async fn reap(&self, now_us: u64) -> Result<(), BackendError> {
        checkout::reap(self, now_us).await
    }

    async fn took_effect(&self, key: u64) -> Result<bool, BackendError> {
        if self.checkout.is_none() {
            return Ok(false);
        }
        checkout::took_effect(self, key).await
    }

    async fn stock_state(&self) -> Result<Vec<StockState>, BackendError> {
        if self.checkout.is_some() {
            return checkout::stock_state(self).await;
        }
        // The trait's fallback for kinds without checkout: the snapshot as sold.
        Ok(self
            .snapshot()
            .await?
            .into_iter()
            .map(|sold| StockState {
                sold,
                ..StockState::default()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_refusals_apply_nothing_and_lost_answers_are_unknown() {
        let refused = RedisError::from((ErrorKind::ResponseError, "ERR", "wrong".to_string()));
        assert_eq!(classify(&refused), Reply::Error);
        let aborted = RedisError::from((ErrorKind::ExecAbortError, "EXECABORT"));
        assert_eq!(classify(&aborted), Reply::Conflict);
        let lost = RedisError::from(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "reset",
        ));
        assert_eq!(classify(&lost), Reply::Unknown);
        let timed_out = RedisError::from(std::io::Error::new(std::io::ErrorKind::TimedOut, "t"));
        assert_eq!(classify(&timed_out), Reply::Unknown);
    }
}
