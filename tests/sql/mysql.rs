//! MariaDB/MySQL backends against the real server.

use super::common::*;
use atpsim::backend::Hooks;
use atpsim::runner::BackendRun;
use atpsim::scenario::Server;
use sqlx::Executor;
use std::path::Path;

fn url() -> Option<String> {
    server_url(Server::Mysql)
}

fn backend(kind: &str, url: &str, extra: &str) -> String {
    format!("kind = \"{kind}\"\nurl = \"{url}\"\n{extra}")
}

async fn admin(url: &str) -> sqlx::MySqlPool {
    sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("admin connection")
}

async fn tables_of(url: &str, run_id: &str) -> Vec<String> {
    let pool = admin(url).await;
    let tables = sqlx::query_scalar(
        "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE CONCAT('atpsim\\_%\\_', ?)",
    )
    .bind(run_id)
    .fetch_all(&pool)
    .await
    .expect("list tables");
    pool.close().await;
    tables
}

#[test]
fn naive_read_then_write_oversells_when_every_client_reads_first() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    let run = forced_race(&backend("mysql-naive", &url, ""), 8, 4);
    let s = &run.summary;
    assert!(s.units.oversold > 0, "{:?}", s.units);
    assert!(s.units.lost_updates > 0, "{:?}", s.units);
    // Every write set reserved to 1: the table shows 1 of 8 grants.
    assert_eq!(s.orders.granted, 8, "{:?}", s.orders);
    assert_eq!((s.units.oversold, s.units.lost_updates), (4, 7));
}

#[test]
fn safe_backends_never_oversell_across_contended_runs() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    let safe = [
        backend("mysql-atomic", &url, ""),
        backend("mysql-for-update", &url, ""),
        backend("mysql-tx", &url, "isolation = \"serializable\""),
    ];
    for spec in &safe {
        for seed in 1..=3 {
            let s = contended(spec, 400, 60, seed).summary;
            let u = &s.units;
            assert_eq!(
                (u.oversold, u.lost_updates, u.phantom, u.unknown),
                (0, 0, 0, 0),
                "{} seed {seed}: {u:?}",
                s.name
            );
            assert!(u.granted > 0, "{} seed {seed} sold nothing", s.name);
            assert_eq!(s.orders.error, 0, "{}: {:?}", s.name, s.orders);
        }
    }
}

/// The isolation levels under two sessions that both read before either
/// writes. InnoDB's READ COMMITTED and REPEATABLE READ read without locks
/// and the second UPDATE waits for the first to commit, then overwrites it
/// (a lost update) — unless MariaDB's `innodb_snapshot_isolation` is ON,
/// which makes REPEATABLE READ refuse a write to a row changed since the
/// snapshot (error 1020). SERIALIZABLE turns both reads into shared locks:
/// neither UPDATE can proceed, and InnoDB rolls one back as a deadlock (1213).
#[test]
fn isolation_levels_under_a_forced_two_session_interleaving() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    for level in ["read-committed", "repeatable-read", "serializable"] {
        let spec = backend("mysql-tx", &url, &format!("isolation = \"{level}\""));
        let run = forced_race(&spec, 2, 1);
        let s = &run.summary;
        let env = &run.environment;
        assert_eq!(s.name, format!("mysql-tx@{level}"));
        assert!(
            !env["server_version"].as_str().unwrap_or("").is_empty(),
            "environment records the server version: {env}"
        );
        // The session runs at the level asked for, with timeouts below the
        // client's 10s.
        let session = env["session_isolation"].as_str().unwrap_or("");
        assert_eq!(
            session.replace('-', " "),
            level.replace('-', " ").to_uppercase(),
            "{env}"
        );
        assert_eq!(env["innodb_lock_wait_timeout"], 9, "{env}");
        if !env["max_statement_time"].is_null() {
            assert_eq!(env["max_statement_time"], 9.0, "{env}");
        }
        // Absent (older servers, MySQL) behaves as OFF.
        let snapshot_isolation = env["innodb_snapshot_isolation"]
            .as_str()
            .is_some_and(|v| v.eq_ignore_ascii_case("ON"));
        let loses_update = match level {
            "read-committed" => true,
            "repeatable-read" => !snapshot_isolation,
            _ => false,
        };
        if loses_update {
            assert_eq!(s.orders.granted, 2, "{level}: {:?}", s.orders);
            assert_eq!(s.units.lost_updates, 1, "{level}: {:?}", s.units);
            assert_eq!(s.units.oversold, 1, "{level}: {:?}", s.units);
        } else {
            assert_eq!(s.orders.granted, 1, "{level}: {:?}", s.orders);
            assert_eq!(s.orders.conflict, 1, "{level}: {:?}", s.orders);
            assert_eq!(
                (s.units.oversold, s.units.lost_updates),
                (0, 0),
                "{level}: {:?}",
                s.units
            );
        }
    }
}

/// A team's own SQL files in `dir`, as a `mysql-custom` backend snippet.
fn custom_backend(url: &str, dir: &Path, reserve: &str) -> String {
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write(
        "schema.sql",
        "CREATE TABLE {{stock}} (sku BIGINT PRIMARY KEY, on_hand BIGINT NOT NULL, \
         buffer BIGINT NOT NULL, reserved BIGINT NOT NULL) ENGINE = InnoDB",
    );
    write(
        "reset.sql",
        "DELETE FROM {{stock}} WHERE sku = :sku;\n\
         INSERT INTO {{stock}} (sku, on_hand, buffer, reserved) VALUES (:sku, :on_hand, :buffer, 0)",
    );
    write("reserve.sql", reserve);
    write(
        "snapshot.sql",
        "-- SUM() is DECIMAL on MySQL: cast it back to an integer.\n\
         SELECT sku, CAST(SUM(reserved) AS SIGNED) FROM {{stock}} GROUP BY sku",
    );
    let file = |name: &str| dir.join(name).display().to_string();
    format!(
        "kind = \"mysql-custom\"\nurl = \"{url}\"\n\
         schema = '{}'\nreset = '{}'\nreserve = '{}'\nsnapshot = '{}'\n",
        file("schema.sql"),
        file("reset.sql"),
        file("reserve.sql"),
        file("snapshot.sql"),
    )
}

/// 400 single-unit orders on one SKU of 50, from 16 clients, all at once.
fn custom_sellout(url: &str, reserve: &str) -> BackendRun {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = format!(
        "name = \"custom\"\nseed = 1\nconcurrency = 16\ntimeout = \"10s\"\n\
         [[sku]]\nid = \"HOT\"\nstock = 50\n\
         [[phase]]\nkind = \"instant\"\norders = 400\nskus = {{ pick = \"one\", sku = \"HOT\" }}\n\
         [[backend]]\n{}",
        custom_backend(url, dir.path(), reserve)
    );
    let path = dir.path().join("s.toml");
    std::fs::write(&path, &body).unwrap();
    let s = scenario_at(&body, &path);
    run(&s, 0, Hooks::default())
}

#[test]
fn custom_sql_is_judged_by_the_same_ledger() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    let correct = custom_sellout(
        &url,
        "-- The atomic UPDATE: rows matched decides.\n\
         UPDATE {{stock}} SET reserved = reserved + :qty\n \
         WHERE sku = :sku AND on_hand + buffer - reserved >= :qty",
    )
    .summary;
    assert_eq!(correct.units.granted, 50, "{:?}", correct.units);
    assert_eq!(correct.orders.granted, 50, "{:?}", correct.orders);
    assert_eq!(
        (correct.units.oversold, correct.units.lost_updates),
        (0, 0),
        "{:?}",
        correct.units
    );

    let oversold: u64 = (1..=3)
        .map(|seed| {
            let dir = tempfile::tempdir().expect("tempdir");
            let spec = custom_backend(&url, dir.path(), RACY_RESERVE);
            contended(&spec, 400, 60, seed).summary.units.oversold
        })
        .sum();
    assert!(oversold > 0, "the unlocked check should oversell");
}

/// Racy: the check reads the stock in a statement of its own, then the
/// UPDATE adds without looking again. Several statements run as one
/// transaction, and at REPEATABLE READ (the server default) a plain SELECT
/// in it is a consistent read from the snapshot, taking no lock: every
/// session that read before the stock ran out still gets through.
///
/// A check inside the UPDATE itself, as a derived table
/// (`UPDATE {{stock}} s JOIN (SELECT on_hand + buffer - reserved AS free …) f
/// SET … WHERE f.free >= :qty`) or a subquery on the same table, does not
/// oversell on InnoDB: the rows an UPDATE reads from other tables are read
/// with shared locks at REPEATABLE READ, so racing sessions deadlock (1213)
/// instead; on MariaDB 10.11 that statement sold 0 over its stock, with
/// about 1,400 deadlocks, under the same traffic.
const RACY_RESERVE: &str = "-- Check, then add: the check is a snapshot read without a lock.\n\
    SELECT on_hand + buffer - reserved INTO @free FROM {{stock}} WHERE sku = :sku;\n\
    UPDATE {{stock}} SET reserved = reserved + :qty WHERE sku = :sku AND @free >= :qty";

#[test]
fn a_namespace_left_by_another_run_is_untouched() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    let rt = runtime();
    let foreign = "atpsim_stock_zzzzzzzzzzzz";
    rt.block_on(async {
        let pool = admin(&url).await;
        pool.execute(include_str!("../../backends/mysql/meta.sql"))
            .await
            .unwrap();
        pool.execute(format!("DROP TABLE IF EXISTS {foreign}").as_str())
            .await
            .unwrap();
        pool.execute(
            format!(
                "CREATE TABLE {foreign} (sku BIGINT PRIMARY KEY, reserved BIGINT) ENGINE = InnoDB"
            )
            .as_str(),
        )
        .await
        .unwrap();
        pool.execute(format!("INSERT INTO {foreign} VALUES (0, 42)").as_str())
            .await
            .unwrap();
        sqlx::query(
            "INSERT IGNORE INTO atpsim_meta (run_id, backend, tool) \
             VALUES ('zzzzzzzzzzzz', 'other', 'other')",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    });
    let run = contended(&backend("mysql-atomic", &url, ""), 100, 30, 1);
    let own = run.environment["namespace"]
        .as_str()
        .expect("namespace")
        .to_string();
    rt.block_on(async {
        assert!(
            tables_of(&url, &own).await.is_empty(),
            "the run's own tables are dropped"
        );
        let pool = admin(&url).await;
        let reserved: i64 =
            sqlx::query_scalar(&format!("SELECT reserved FROM {foreign} WHERE sku = 0"))
                .fetch_one(&pool)
                .await
                .expect("the other run's table is still there");
        assert_eq!(reserved, 42);
        let marker: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM atpsim_meta WHERE run_id = 'zzzzzzzzzzzz'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(marker, 1, "the other run's marker row is still there");
        let ours: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM atpsim_meta WHERE run_id = ?")
            .bind(&own)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(ours, 0, "the run's own marker row is removed");
        pool.execute(format!("DROP TABLE {foreign}").as_str())
            .await
            .unwrap();
        pool.execute("DELETE FROM atpsim_meta WHERE run_id = 'zzzzzzzzzzzz'")
            .await
            .unwrap();
        pool.close().await;
    });
}

#[test]
fn a_pool_larger_than_the_free_connection_slots_is_refused_up_front() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    let s = scenario(&format!(
        "name = \"big\"\nseed = 1\nconcurrency = 5000\n[[sku]]\nid = \"A\"\nstock = 10\n\
         [[phase]]\nkind = \"instant\"\norders = 10000\n[[backend]]\n{}",
        backend("mysql-atomic", &url, "")
    ));
    let plan = atpsim::plan::Plan::measure(&s);
    let e = runtime()
        .block_on(atpsim::runner::check_backends(&s, &plan))
        .expect_err("5000 connections do not fit");
    assert!(e.message.contains("needs 5000 connections"), "{e}");
    assert!(e.message.contains("max_connections"), "{e}");
    assert!(e.message.contains(&atpsim::redact::url(&url)), "{e}");
}

#[test]
fn keep_leaves_the_tables_for_inspection() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    let s = scenario(&format!(
        "name = \"keep\"\nseed = 1\n[[sku]]\nid = \"A\"\nstock = 10\n\
         [[phase]]\nkind = \"instant\"\norders = 20\n[[backend]]\n{}",
        backend("mysql-atomic", &url, "")
    ));
    let plan = atpsim::plan::Plan::measure(&s);
    let (_stop_tx, stop) = tokio::sync::watch::channel(atpsim::runner::Stop::Run);
    let options = atpsim::runner::RunOptions {
        progress: false,
        hooks: Hooks::default(),
        trace: None,
        stop,
        keep: true,
    };
    let rt = runtime();
    let run = rt
        .block_on(atpsim::runner::run_backend(
            &s,
            &plan,
            &s.backends[0],
            0,
            &options,
        ))
        .expect("runs");
    let id = run.environment["namespace"].as_str().unwrap().to_string();
    assert_eq!(run.environment["kept"], true);
    rt.block_on(async {
        let pool = admin(&url).await;
        let table = format!("atpsim_stock_{id}");
        let reserved: i64 =
            sqlx::query_scalar(&format!("SELECT reserved FROM {table} WHERE sku = 0"))
                .fetch_one(&pool)
                .await
                .expect("kept table is readable");
        assert_eq!(reserved, 10, "the final state is what the run left");
        pool.execute(format!("DROP TABLE {table}").as_str())
            .await
            .unwrap();
        sqlx::query("DELETE FROM atpsim_meta WHERE run_id = ?")
            .bind(&id)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
}
