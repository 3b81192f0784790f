//! redis-benchmark's side: the bench's own stock hash under `atpsim:<id>:`
//! with a marker, the script loaded by `SCRIPT LOAD`, running
//! `redis-benchmark … EVALSHA <sha> 2 <key> <ids> 1 __rand_int__` (without
//! order ids, `EVALSHA <sha> 1 <key> 1`) and reading its `--csv` output.
//!
//! Invariant: every run is checked against the hash afterwards: its
//! `reserved` must have grown by exactly the requests redis-benchmark sent,
//! since redis-benchmark counts an error reply as a request like any other,
//! and with ids the ids hash must have grown.

use crate::services::Stopped;
use crate::STOCK;
use atpsim::backend::sql::namespace::new_run_id;
use std::process::Command;
use std::time::Duration;

/// The script the `redis-lua` backend runs, byte for byte.
pub(crate) const RESERVE_LUA: &str = include_str!("../../backends/redis/reserve.lua");

/// The bench's keys on the server, as `src/backend/redis/keys.rs` lays them
/// out: `atpsim:<id>:meta` (the marker) and `atpsim:<id>:sku:0` (a hash of
/// `on_hand`, `buffer`, `reserved`). Removed by `remove`.
pub(crate) struct BenchKeys {
    pub(crate) run_id: String,
    pub(crate) meta: String,
    pub(crate) sku: String,
    /// The SKU's hash of order id → quantity, as `keys.rs` names it.
    pub(crate) ids: String,
    pub(crate) sha: String,
}

fn db(e: redis::RedisError) -> Stopped {
    Stopped::Broken(format!("redis: {e}"))
}

impl BenchKeys {
    pub(crate) fn create(conn: &mut redis::Connection) -> Result<Self, Stopped> {
        let run_id = new_run_id();
        let prefix = format!("atpsim:{run_id}:");
        let keys = BenchKeys {
            meta: format!("{prefix}meta"),
            sku: format!("{prefix}sku:0"),
            ids: format!("{prefix}ids:0"),
            run_id,
            sha: String::new(),
        };
        let tool = format!("atpsim {} bench", env!("CARGO_PKG_VERSION"));
        redis::cmd("HSET")
            .arg(&keys.meta)
            .arg("backend")
            .arg("redis_compare")
            .arg("tool")
            .arg(tool)
            .query::<()>(conn)
            .map_err(db)?;
        let mut keys = keys;
        let made = keys.load(conn);
        if let Err(e) = made {
            keys.remove(conn);
            return Err(e);
        }
        Ok(keys)
    }

    /// The stock hash afresh, and the script (again) in the script cache.
    fn load(&mut self, conn: &mut redis::Connection) -> Result<(), Stopped> {
        redis::cmd("DEL")
            .arg(&self.ids)
            .query::<()>(conn)
            .map_err(db)?;
        redis::cmd("HSET")
            .arg(&self.sku)
            .arg("on_hand")
            .arg(STOCK)
            .arg("buffer")
            .arg(0)
            .arg("reserved")
            .arg(0)
            .query::<()>(conn)
            .map_err(db)?;
        self.sha = redis::cmd("SCRIPT")
            .arg("LOAD")
            .arg(RESERVE_LUA)
            .query(conn)
            .map_err(db)?;
        Ok(())
    }

    /// The command redis-benchmark repeats: the backend's own call, with
    /// redis-benchmark's random number standing in for the order id.
    pub(crate) fn call(&self, ids: bool) -> Vec<&str> {
        if ids {
            vec![
                "EVALSHA",
                &self.sha,
                "2",
                &self.sku,
                &self.ids,
                "1",
                "__rand_int__",
            ]
        } else {
            vec!["EVALSHA", &self.sha, "1", &self.sku, "1"]
        }
    }

    pub(crate) fn reserved(&self, conn: &mut redis::Connection) -> Result<u64, Stopped> {
        let v: Option<u64> = redis::cmd("HGET")
            .arg(&self.sku)
            .arg("reserved")
            .query(conn)
            .map_err(db)?;
        v.ok_or_else(|| Stopped::Broken(format!("{} has no `reserved` field", self.sku)))
    }

    /// Delete the bench's keys; a failure is a warning, not an error.
    pub(crate) fn remove(&self, conn: &mut redis::Connection) {
        if let Err(e) = redis::cmd("DEL")
            .arg(&self.sku)
            .arg(&self.ids)
            .arg(&self.meta)
            .query::<()>(conn)
        {
            eprintln!(
                "warning: could not delete {} and {}: {e}",
                self.sku, self.meta
            );
        }
    }
}

/// One redis-benchmark measurement.
pub(crate) struct RbenchSample {
    pub(crate) rps: f64,
    pub(crate) requests: u64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
}

/// `"test","rps","avg_latency_ms",…` then one row per test: the first row.
pub(crate) fn parse_csv(text: &str) -> Result<RbenchSample, String> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let fields = |l: &str| -> Vec<String> {
        l.split(',')
            .map(|f| f.trim_matches('"').to_string())
            .collect()
    };
    let header = fields(lines.next().ok_or("no output")?);
    let row = fields(lines.next().ok_or("no result row")?);
    let column = |name: &str| -> Result<f64, String> {
        let i = header
            .iter()
            .position(|h| h == name)
            .ok_or(format!("no `{name}` column"))?;
        row.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or(format!("`{name}` is not a number"))
    };
    Ok(RbenchSample {
        rps: column("rps")?,
        requests: 0,
        p50_ms: column("p50_latency_ms").unwrap_or(f64::NAN),
        p99_ms: column("p99_latency_ms").unwrap_or(f64::NAN),
    })
}

/// `redis-benchmark -u URL -c C -n N -q --csv EVALSHA sha 2 key ids 1
/// __rand_int__` with order ids (`EVALSHA sha 1 key 1` without), checked
/// against the hash. redis-benchmark keeps no counter: the ids are its
/// random 12-digit numbers (`-r 10^12`), so now and then one repeats and
/// overwrites its field, the same work as a fresh one.
pub(crate) fn run_rbench(
    conn: &mut redis::Connection,
    keys: &mut BenchKeys,
    url: &str,
    clients: u32,
    requests: u64,
    ids: bool,
) -> Result<RbenchSample, Stopped> {
    keys.load(conn)?;
    let before = keys.reserved(conn)?;
    let call = keys.call(ids);
    let out = Command::new("redis-benchmark")
        .arg("-u")
        .arg(url)
        .args(["-c", &clients.to_string(), "-n", &requests.to_string()])
        .args(["-r", "1000000000000", "-q", "--csv"])
        .args(&call)
        .output()
        .map_err(|e| Stopped::Broken(format!("cannot run redis-benchmark: {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let shown = |why: String| {
        Stopped::Broken(format!(
            "redis-benchmark -c {clients} -n {requests}: {why}\nstdout: {}\nstderr: {}",
            atpsim::redact::message(stdout.trim(), url),
            atpsim::redact::message(String::from_utf8_lossy(&out.stderr).trim(), url)
        ))
    };
    if !out.status.success() {
        return Err(shown(format!("exited with {}", out.status)));
    }
    let mut sample = parse_csv(&stdout).map_err(shown)?;
    let after = keys.reserved(conn)?;
    if after.checked_sub(before) != Some(requests) {
        return Err(Stopped::Broken(format!(
            "redis-benchmark -c {clients} -n {requests}: `reserved` went from {before} \
             to {after}; the script did not reserve once per request"
        )));
    }
    let stored: u64 = redis::cmd("HLEN").arg(&keys.ids).query(conn).map_err(db)?;
    if ids != (stored > 0) || stored > requests {
        return Err(Stopped::Broken(format!(
            "redis-benchmark -c {clients} -n {requests}: {stored} order ids stored \
             (order ids {})",
            if ids { "on" } else { "off" }
        )));
    }
    sample.requests = requests;
    Ok(sample)
}

/// A sync connection for the setup and the checks.
pub(crate) fn connect(url: &str) -> Result<redis::Connection, String> {
    redis::Client::open(url)
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(5)))
        .map_err(|e| atpsim::redact::message(&e.to_string(), url))
}
