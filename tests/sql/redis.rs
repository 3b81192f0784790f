//! Redis backends against the real server.

use super::common::*;
use atpsim::backend::Hooks;
use atpsim::scenario::Server;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn url() -> Option<String> {
    server_url(Server::Redis)
}

fn backend(kind: &str, url: &str, extra: &str) -> String {
    format!("kind = \"{kind}\"\nurl = \"{url}\"\n{extra}")
}

pub(super) async fn admin(url: &str) -> ::redis::aio::MultiplexedConnection {
    ::redis::Client::open(url)
        .expect("redis URL")
        .get_multiplexed_async_connection()
        .await
        .expect("admin connection")
}

pub(super) async fn keys_matching(
    conn: &mut ::redis::aio::MultiplexedConnection,
    pattern: &str,
) -> Vec<String> {
    let mut cursor: u64 = 0;
    let mut found = Vec::new();
    loop {
        let (next, keys): (u64, Vec<String>) = ::redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(conn)
            .await
            .expect("SCAN");
        found.extend(keys);
        if next == 0 {
            return found;
        }
        cursor = next;
    }
}

/// Every client reads before any writes: redis-naive grants all 8 orders
/// against 4 units, and its hash shows one (each HSET wrote 1).
#[test]
fn naive_oversells_under_a_forced_interleaving() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    let run = forced_race(&backend("redis-naive", &url, ""), 8, 4);
    let s = &run.summary;
    assert_eq!(s.orders.granted, 8, "{:?}", s.orders);
    assert_eq!(
        (s.units.oversold, s.units.lost_updates),
        (4, 7),
        "{:?}",
        s.units
    );
    let version = run.environment["server_version"].as_str().unwrap_or("");
    assert!(!version.is_empty(), "{}", run.environment);
    assert_eq!(run.environment["store"], "redis");
}

/// Repeated contended bursts of mixed quantities: no oversell, no lost
/// update, nothing unexplained, nothing unanswered.
#[test]
fn lua_watch_and_decr_never_oversell() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    for (kind, extra) in [
        ("redis-lua", ""),
        ("redis-lua", "connection = \"multiplexed\""),
        ("redis-watch", ""),
        ("redis-decr", ""),
        ("redis-decr", "connection = \"multiplexed\""),
    ] {
        for seed in 1..=3 {
            let s = contended(&backend(kind, &url, extra), 400, 60, seed).summary;
            let u = &s.units;
            assert_eq!(
                (u.oversold, u.lost_updates, u.phantom, u.unknown),
                (0, 0, 0, 0),
                "{kind} {extra} seed {seed}: {u:?}"
            );
            assert_eq!(s.orders.unknown, 0, "{kind}: {:?}", s.orders);
            assert_eq!(s.orders.error, 0, "{kind}: {:?}", s.orders);
            assert!(u.granted > 0, "{kind} seed {seed} sold nothing");
        }
    }
}

/// redis-watch's clients both WATCH and read, then wait at a barrier of
/// three; the test (the third party) finds the run by its marker key,
/// waits until both of its clients' last command is the HMGET (so both are
/// parked between WATCH and EXEC), kills them by id, and only then joins
/// the barrier. Each client's MULTI/EXEC then meets a dead connection: no
/// EXEC runs without its WATCH, nothing is granted, nothing is applied.
#[test]
fn watch_never_oversells_when_its_connection_dies_between_watch_and_exec() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    let name = "watch-killed";
    let s = scenario(&format!(
        "name = \"kill\"\nseed = 1\nconcurrency = 2\nretries = 0\ntimeout = \"10s\"\n\
         [[sku]]\nid = \"HOT\"\nstock = 4\n\
         [[phase]]\nkind = \"instant\"\norders = 2\nskus = {{ pick = \"one\", sku = \"HOT\" }}\n\
         [[backend]]\n{}\nname = \"{name}\"\n",
        backend("redis-watch", &url, "")
    ));
    let barrier = Arc::new(tokio::sync::Barrier::new(3));
    let hooks = Hooks {
        between_read_and_write: Some(barrier.clone()),
    };
    let runner = std::thread::spawn(move || run(&s, 0, hooks));
    runtime().block_on(async {
        let mut conn = admin(&url).await;
        let until = Instant::now() + Duration::from_secs(20);
        let killed = loop {
            assert!(
                Instant::now() < until,
                "the clients never parked at the barrier"
            );
            let mut parked = Vec::new();
            for meta in keys_matching(&mut conn, "atpsim:*:meta").await {
                let owner: Option<String> = ::redis::cmd("HGET")
                    .arg(&meta)
                    .arg("backend")
                    .query_async(&mut conn)
                    .await
                    .expect("HGET");
                if owner.as_deref() != Some(name) {
                    continue;
                }
                let run_id = meta.split(':').nth(1).expect("atpsim:<id>:meta");
                let client_name = format!("name=atpsim-{run_id}");
                let list: String = ::redis::cmd("CLIENT")
                    .arg("LIST")
                    .query_async(&mut conn)
                    .await
                    .expect("CLIENT LIST");
                for line in list.lines() {
                    let fields: Vec<&str> = line.split(' ').collect();
                    if fields.contains(&client_name.as_str()) && fields.contains(&"cmd=hmget") {
                        let id = fields.iter().find_map(|f| f.strip_prefix("id=")).unwrap();
                        parked.push(id.to_string());
                    }
                }
            }
            if parked.len() == 2 {
                break parked;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        for id in &killed {
            let n: i64 = ::redis::cmd("CLIENT")
                .arg("KILL")
                .arg("ID")
                .arg(id)
                .query_async(&mut conn)
                .await
                .expect("CLIENT KILL");
            assert_eq!(n, 1, "killed client {id}");
        }
        barrier.wait().await;
    });
    let run = runner.join().expect("run");
    let s = &run.summary;
    assert_eq!(s.orders.granted, 0, "{:?}", s.orders);
    assert_eq!(s.orders.unknown + s.orders.error, 2, "{:?}", s.orders);
    assert_eq!(
        (s.units.oversold, s.units.phantom, s.units.lost_updates),
        (0, 0, 0),
        "{:?}",
        s.units
    );
    assert!(s.first_error.is_some(), "the lost connection is reported");
}

/// A run touches only its own keys and leaves none behind.
#[test]
fn another_runs_keys_are_untouched_and_the_runs_own_are_removed() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    let rt = runtime();
    let other = ["atpsim:zzzzzzzzzzzz:meta", "atpsim:zzzzzzzzzzzz:sku:0"];
    rt.block_on(async {
        let mut conn = admin(&url).await;
        for key in other {
            ::redis::cmd("HSET")
                .arg(key)
                .arg("reserved")
                .arg(41)
                .query_async::<()>(&mut conn)
                .await
                .expect("HSET");
        }
    });
    for kind in ["redis-naive", "redis-watch", "redis-lua", "redis-decr"] {
        let run = contended(&backend(kind, &url, ""), 100, 30, 1);
        let prefix = run.environment["namespace"]
            .as_str()
            .expect("namespace")
            .to_string();
        assert!(prefix.starts_with("atpsim:"), "{prefix}");
        rt.block_on(async {
            let mut conn = admin(&url).await;
            let left = keys_matching(&mut conn, &format!("{prefix}*")).await;
            assert!(left.is_empty(), "{kind} left {left:?}");
            for key in other {
                let v: Option<i64> = ::redis::cmd("HGET")
                    .arg(key)
                    .arg("reserved")
                    .query_async(&mut conn)
                    .await
                    .expect("HGET");
                assert_eq!(v, Some(41), "{kind} touched {key}");
            }
        });
    }
    rt.block_on(async {
        let mut conn = admin(&url).await;
        ::redis::cmd("DEL")
            .arg(&other[..])
            .query_async::<()>(&mut conn)
            .await
            .expect("DEL");
    });
}

#[test]
fn safe_kinds_accept_exactly_stock_plus_buffer() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    for kind in ["redis-lua", "redis-watch", "redis-decr"] {
        assert_buffer_accepted_exactly(&buffered(&backend(kind, &url, "")));
    }
}
