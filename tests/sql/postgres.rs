//! PostgreSQL backends against the real server.

use super::common::*;
use atpsim::backend::Hooks;
use atpsim::scenario::Server;

fn url() -> Option<String> {
    server_url(Server::Postgres)
}

fn backend(kind: &str, url: &str, extra: &str) -> String {
    format!("kind = \"{kind}\"\nurl = \"{url}\"\n{extra}")
}

async fn admin(url: &str) -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("admin connection")
}

/// The isolation levels under two sessions that both read before either
/// writes. PostgreSQL's READ COMMITTED lets the second write overwrite the
/// first (a lost update); REPEATABLE READ and SERIALIZABLE abort the second
/// writer with a serialization failure (40001), counted as a conflict.
#[test]
fn isolation_levels_under_a_forced_two_session_interleaving() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    for level in ["read-committed", "repeatable-read", "serializable"] {
        let spec = backend("postgres-tx", &url, &format!("isolation = \"{level}\""));
        let run = forced_race(&spec, 2, 1);
        let s = &run.summary;
        assert_eq!(s.name, format!("postgres-tx@{level}"));
        let version = run.environment["server_version"].as_str().unwrap_or("");
        assert!(
            !version.is_empty(),
            "environment records the server version"
        );
        // Snapshot isolation for RR and SERIALIZABLE has been PostgreSQL's
        // behaviour since 9.1; READ COMMITTED re-reads the row and overwrites.
        let loses_updates = level == "read-committed";
        if loses_updates {
            assert_eq!(s.orders.granted, 2, "{level}: {:?}", s.orders);
            assert_eq!(s.units.lost_updates, 1, "{level}");
            assert_eq!(s.units.oversold, 1, "{level}");
        } else {
            assert_eq!(s.orders.granted, 1, "{level}: {:?}", s.orders);
            assert_eq!(s.orders.conflict, 1, "{level}: {:?}", s.orders);
            assert_eq!((s.units.oversold, s.units.lost_updates), (0, 0), "{level}");
        }
    }
}

/// A team's own SQL in a temporary directory, as a `postgres-custom` scenario.
fn custom_scenario(
    url: &str,
    reserve: &str,
    snapshot: &str,
    seed: u64,
) -> (tempfile::TempDir, atpsim::scenario::Scenario) {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "schema.sql",
        "CREATE TABLE {{stock}} (sku bigint PRIMARY KEY, code text NOT NULL, \
         on_hand bigint NOT NULL, reserved bigint NOT NULL)",
    );
    write(
        "reset.sql",
        "DELETE FROM {{stock}} WHERE sku = :sku;\n\
         INSERT INTO {{stock}} (sku, code, on_hand, reserved) VALUES (:sku, :sku_id, :on_hand + :buffer, 0)",
    );
    write("reserve.sql", reserve);
    write("snapshot.sql", snapshot);
    let body = format!(
        "name = \"custom\"\nseed = {seed}\nconcurrency = 16\ntimeout = \"10s\"\n\
         [[sku]]\nid = \"HOT\"\nstock = 50\n\
         [[phase]]\nkind = \"instant\"\norders = 400\nskus = {{ pick = \"one\", sku = \"HOT\" }}\n\
         [[backend]]\nkind = \"postgres-custom\"\nurl = \"{url}\"\n\
         schema = \"schema.sql\"\nreset = \"reset.sql\"\nreserve = \"reserve.sql\"\nsnapshot = \"snapshot.sql\"\n"
    );
    let s = scenario_at(&body, &dir.path().join("custom.toml"));
    (dir, s)
}

const SNAPSHOT: &str = "SELECT sku, reserved FROM {{stock}}";

fn custom_run(url: &str, reserve: &str, seed: u64) -> atpsim::runner::BackendRun {
    let (_dir, s) = custom_scenario(url, reserve, SNAPSHOT, seed);
    run(&s, 0, Hooks::default())
}

/// Tables and marker rows of every atpsim namespace on the server.
fn atpsim_objects(url: &str) -> (i64, i64) {
    runtime().block_on(async {
        let pool = admin(url).await;
        let tables: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'atpsim\\_%\\_%' AND tablename <> 'atpsim_meta'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let marks: i64 = sqlx::query_scalar("SELECT count(*) FROM atpsim_meta")
            .fetch_one(&pool)
            .await
            .unwrap_or(0);
        pool.close().await;
        (tables, marks)
    })
}

#[test]
fn a_custom_backend_that_fails_to_open_leaves_nothing_behind() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    let before = atpsim_objects(&url);
    let cases = [
        (
            "UPDATE {{stock}} SET nosuchcol = 1 WHERE sku = :sku",
            SNAPSHOT,
            "reserve.sql: the custom reserve statement does not prepare",
            // The server refused the team's SQL: bad input, exit 2.
            true,
        ),
        (
            "UPDATE {{stock}} SET reserved = reserved + :qty WHERE sku = :sku",
            "SELECT code, reserved FROM {{stock}}",
            "cannot read final stock",
            false,
        ),
    ];
    for (reserve, snapshot, expected, bad_input) in cases {
        let (_dir, s) = custom_scenario(&url, reserve, snapshot, 1);
        let plan = atpsim::plan::Plan::measure(&s);
        let e = runtime()
            .block_on(atpsim::runner::check_backends(&s, &plan))
            .expect_err("the backend cannot work");
        assert!(e.message.contains(expected), "{e}");
        assert_eq!(e.bad_input, bad_input, "{e}");
        assert_eq!(atpsim_objects(&url), before, "after the check: {e}");
        // The run's own path (open, reset, warm-up) cleans up the same way.
        let (_stop, stop) = tokio::sync::watch::channel(atpsim::runner::Stop::Run);
        let options = atpsim::runner::RunOptions::quiet(stop);
        let run = runtime().block_on(atpsim::runner::run_backend(
            &s,
            &plan,
            &s.backends[0],
            0,
            &options,
        ));
        assert!(run.is_err(), "the run cannot start either");
        assert_eq!(atpsim_objects(&url), before, "after the run: {expected}");
    }
}

#[test]
fn a_reserve_that_fails_at_run_time_reports_the_database_message() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    let s = custom_run(&url, "SELECT 1 / (:qty - 1)", 1).summary;
    assert_eq!(s.orders.error, s.orders.offered, "{:?}", s.orders);
    let first = s.first_error.expect("a first error");
    assert!(first.contains("division by zero"), "{first}");
}

#[test]
fn custom_sql_is_judged_by_the_same_ledger() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    let correct = custom_run(
        &url,
        "UPDATE {{stock}} SET reserved = reserved + :qty\n WHERE sku = :sku AND on_hand - reserved >= :qty",
        1,
    )
    .summary;
    assert_eq!(correct.units.granted, 50, "{:?}", correct.units);
    assert_eq!((correct.units.oversold, correct.units.lost_updates), (0, 0));

    // Racy: the check reads a subquery evaluated once on the statement's
    // snapshot; a writer that waited for the row lock re-checks only the
    // row's own columns (EvalPlanQual), not the subquery, so every waiter
    // that took its snapshot before the stock ran out still gets through.
    let racy_sql = "UPDATE {{stock}} SET reserved = reserved + :qty\n WHERE sku = :sku\n   AND (SELECT on_hand - reserved FROM {{stock}} WHERE sku = :sku) >= :qty";
    let oversold: u64 = (1..=3)
        .map(|seed| custom_run(&url, racy_sql, seed).summary.units.oversold)
        .sum();
    assert!(oversold > 0, "the stale-subquery check should oversell");
}

#[test]
fn the_pool_opens_one_session_per_client_and_none_outlives_the_run() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    let run = contended(&backend("postgres-atomic", &url, ""), 200, 30, 2);
    assert_eq!(run.environment["pool"], 16);
    let app = run.environment["application_name"]
        .as_str()
        .unwrap()
        .to_string();
    let rt = runtime();
    rt.block_on(async {
        let pool = admin(&url).await;
        let left: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE $1 || '%'",
        )
        .bind(&app)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(left, 0, "no session of the run remains");
        pool.close().await;
    });
}

conformance_tests!(
    Server::Postgres,
    &[
        ("atomic", ""),
        ("for-update", ""),
        ("advisory", ""),
        ("tx", "isolation = \"repeatable-read\""),
        ("tx", "isolation = \"serializable\""),
        ("sharded", "buckets = 4"),
        ("batch", ""),
        ("batch", "batch_size = 4\nbatch_wait = \"1ms\""),
    ]
);

/// One statement settles many orders: under a burst the batches hold more
/// than one order each, every attempt is settled by exactly one of them,
/// nothing is oversold or wrongly refused, and the pool is one connection
/// per queue server (one per SKU here), not per client.
#[test]
fn postgres_batch_settles_many_orders_per_statement_and_neither_oversells_nor_undersells() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    let run = contended(&backend("postgres-batch", &url, ""), 300, 40, 4);
    let s = &run.summary;
    let batches = s
        .batches
        .as_ref()
        .expect("a batching backend reports its batches");
    assert_eq!(batches.orders, s.orders.offered + s.orders.retries);
    assert!(
        batches.count < batches.orders,
        "16 clients in a burst share batches: {batches:?}"
    );
    assert_eq!(s.units.oversold, 0);
    assert_eq!(s.units.undersold, 0);
    assert_eq!(s.orders.wrongly_refused, 0);
    assert_eq!(
        run.environment["pool"], 2,
        "one connection per SKU's queue server"
    );
}

/// A batch of thousands of orders near sell-out settles in one quick
/// statement: the first-fit walk is linear in the batch, so a large
/// `batch_size` neither times out nor turns orders into unknowns.
#[test]
fn postgres_batch_settles_a_batch_of_thousands_before_the_timeout() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    let s = scenario(&format!(
        "name = \"big-batch\"\nseed = 3\nconcurrency = 10000\ntimeout = \"1s\"\n\
         [[sku]]\nid = \"HOT\"\nstock = 500\n\
         [[phase]]\nkind = \"instant\"\norders = 10000\nskus = {{ pick = \"one\", sku = \"HOT\" }}\n\
         quantity = {{ min = 1, max = 3 }}\n\
         [[backend]]\n{}\n",
        backend("postgres-batch", &url, "batch_size = 10000")
    ));
    let run = run(&s, 0, Hooks::default());
    let b = &run.summary;
    let o = &b.orders;
    assert_eq!((o.unknown, o.conflict, o.error), (0, 0, 0), "{o:?}");
    assert_eq!((b.units.oversold, b.units.undersold), (0, 0));
    let batches = b.batches.as_ref().unwrap();
    assert!(batches.size_max >= 500, "{batches:?}");
}
