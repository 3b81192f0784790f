//! Connection slots of the servers a sweep uses: read once before the first
//! point to refuse points no server could ever hold, and again before each
//! point to skip one that does not fit what is free at that moment.
//!
//! Invariant: the count is the one the backends' own open-time checks make
//! (PostgreSQL: `max_connections` less `superuser_reserved_connections` less
//! client sessions; MySQL: `max_connections` less the process list; Redis:
//! `maxclients` less `connected_clients`), read through its own probe
//! connection, which stands in for the admin connection the backend will
//! open: so a point fits when its client connections fit what is free.

use crate::backend::BackendError;
use crate::scenario::{BackendSpec, Server};
use sqlx::{ConnectOptions, Connection, Row};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

const POSTGRES_FREE_SLOTS: &str = include_str!("../../backends/postgres/free_slots.sql");
const MYSQL_FREE_SLOTS: &str = include_str!("../../backends/mysql/free_slots.sql");
/// How long a probe may take to connect and answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// A server's connection slots at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slots {
    /// `max_connections` (Redis: `maxclients`).
    pub max: i64,
    /// Slots ordinary users can never have (PostgreSQL's superuser reserve).
    pub reserved: i64,
    /// Connections open now, this probe included.
    pub used: i64,
}

impl Slots {
    /// The most connections one run can ever hold, the admin one included.
    pub fn limit(&self) -> i64 {
        self.max - self.reserved
    }

    /// Client connections a backend opening now can have: the probe's slot
    /// goes to its admin connection.
    pub fn free(&self) -> i64 {
        (self.limit() - self.used).max(0)
    }

    /// Why a point needing `needed` client connections does not fit now.
    pub fn shortfall(&self, needed: u32) -> Option<String> {
        (i64::from(needed) > self.free()).then(|| {
            format!(
                "free connection slots {} < {needed} client connections (+1 admin): max_connections {}, {} reserved, {} in use",
                self.free(),
                self.max,
                self.reserved,
                self.used - 1
            )
        })
    }
}

/// The slots of `spec`'s server, `None` for an embedded store or a Redis
/// that does not show `maxclients` (as the backend's own check, which then
/// checks nothing). A server that cannot be reached is an error naming the
/// backend, its password redacted.
pub async fn read(spec: &BackendSpec) -> Result<Option<Slots>, BackendError> {
    let Some(server) = spec.kind.server() else {
        return Ok(None);
    };
    // A private server is started for each run: nobody else uses its slots.
    if spec.options.private_redis.is_some() {
        return Ok(None);
    }
    let raw_url = spec.options.url.clone();
    let fail = |e: &dyn std::fmt::Display| {
        let message = crate::redact::message(&e.to_string(), &raw_url);
        BackendError::new(
            &spec.name,
            format!(
                "cannot read the connection slots of {}: {message}",
                spec.options.redacted_url()
            ),
        )
    };
    let probe = async {
        match server {
            Server::Postgres => postgres(&raw_url).await.map(Some),
            Server::Mysql => mysql(&raw_url).await.map(Some),
            Server::Redis => redis_slots(&raw_url).await,
        }
    };
    match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
        Ok(result) => result.map_err(|e| fail(&e)),
        Err(_) => Err(fail(&format!(
            "no answer within {} s",
            PROBE_TIMEOUT.as_secs()
        ))),
    }
}

async fn postgres(url: &str) -> Result<Slots, String> {
    let options = sqlx::postgres::PgConnectOptions::from_str(url).map_err(|e| e.to_string())?;
    let mut conn = options
        .application_name("atpsim-sweep-probe")
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    let row = sqlx::query(POSTGRES_FREE_SLOTS).fetch_one(&mut conn).await;
    let _ = conn.close().await;
    let row = row.map_err(|e| e.to_string())?;
    Ok(Slots {
        max: i64::from(row.get::<i32, _>(0)),
        reserved: i64::from(row.get::<i32, _>(1)),
        used: i64::from(row.get::<i32, _>(2)),
    })
}

async fn mysql(url: &str) -> Result<Slots, String> {
    let options = sqlx::mysql::MySqlConnectOptions::from_str(url).map_err(|e| e.to_string())?;
    let mut conn = options.connect().await.map_err(|e| e.to_string())?;
    let row = sqlx::query(MYSQL_FREE_SLOTS).fetch_one(&mut conn).await;
    let _ = conn.close().await;
    let row = row.map_err(|e| e.to_string())?;
    Ok(Slots {
        max: row.try_get(0).map_err(|e| e.to_string())?,
        reserved: 0,
        used: row.try_get(1).map_err(|e| e.to_string())?,
    })
}

async fn redis_slots(url: &str) -> Result<Option<Slots>, String> {
    let client = redis::Client::open(url).map_err(|e| e.to_string())?;
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .map_err(|e| e.to_string())?;
    let max: Option<i64> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxclients")
        .query_async::<HashMap<String, String>>(&mut conn)
        .await
        .ok()
        .and_then(|mut m| m.remove("maxclients"))
        .and_then(|v| v.parse().ok());
    let Some(max) = max else {
        return Ok(None);
    };
    let info: String = redis::cmd("INFO")
        .arg("clients")
        .query_async(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    let used = info
        .lines()
        .find_map(|l| l.strip_prefix("connected_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    Ok(Some(Slots {
        max,
        reserved: 0,
        used,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_fits_what_is_free_with_the_probe_standing_for_the_admin() {
        // 100 slots, 3 reserved, 10 in use counting the probe: 87 free.
        let s = Slots {
            max: 100,
            reserved: 3,
            used: 10,
        };
        assert_eq!(s.limit(), 97);
        assert_eq!(s.free(), 87);
        assert_eq!(s.shortfall(87), None);
        let why = s.shortfall(88).unwrap();
        assert!(
            why.starts_with("free connection slots 87 < 88 client connections"),
            "{why}"
        );
        assert!(
            why.contains("max_connections 100, 3 reserved, 9 in use"),
            "{why}"
        );
        let full = Slots { used: 200, ..s };
        assert_eq!(full.free(), 0);
    }
}
