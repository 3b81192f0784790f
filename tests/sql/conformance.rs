//! One test body per property, run against each server store: what every
//! SQL backend family must do whatever the database.

use super::common::*;
use atpsim::runner::{run_backend, BackendRun, RunOptions, Stop};
use atpsim::scenario::Server;

/// A server store under test: its kinds are `<prefix>-<strategy>`.
pub struct Store {
    pub server: Server,
    pub url: String,
}

impl Store {
    /// The store, or `None` (skip) when its server does not answer.
    pub fn find(server: Server) -> Option<Store> {
        server_url(server).map(|url| Store { server, url })
    }

    fn prefix(&self) -> &'static str {
        match self.server {
            Server::Postgres => "postgres",
            Server::Mysql => "mysql",
            Server::Redis => unreachable!("the SQL conformance bodies run on SQL servers"),
        }
    }

    /// A `[[backend]]` body for `strategy` on this store.
    pub fn backend(&self, strategy: &str, extra: &str) -> String {
        format!(
            "kind = \"{}-{strategy}\"\nurl = \"{}\"\n{extra}",
            self.prefix(),
            self.url
        )
    }

    fn meta_ddl(&self) -> &'static str {
        match self.server {
            Server::Postgres => include_str!("../../backends/postgres/meta.sql"),
            Server::Mysql => include_str!("../../backends/mysql/meta.sql"),
            Server::Redis => unreachable!("the SQL conformance bodies run on SQL servers"),
        }
    }

    async fn admin(&self) -> Admin {
        match self.server {
            Server::Postgres => Admin::Pg(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&self.url)
                    .await
                    .expect("admin connection"),
            ),
            Server::Mysql => Admin::My(
                sqlx::mysql::MySqlPoolOptions::new()
                    .max_connections(1)
                    .connect(&self.url)
                    .await
                    .expect("admin connection"),
            ),
            Server::Redis => unreachable!("the SQL conformance bodies run on SQL servers"),
        }
    }
}

/// A test's own connection to the server, for statements both dialects
/// spell the same (no parameters: values are literals the test chose).
enum Admin {
    Pg(sqlx::PgPool),
    My(sqlx::MySqlPool),
}

impl Admin {
    async fn exec(&self, sql: &str) {
        use sqlx::Executor;
        match self {
            Admin::Pg(p) => p.execute(sql).await.map(|_| ()),
            Admin::My(p) => p.execute(sql).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn int(&self, sql: &str) -> i64 {
        match self {
            Admin::Pg(p) => sqlx::query_scalar(sql).fetch_one(p).await,
            Admin::My(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Tables whose names end in the run id `id`.
    async fn tables_of(&self, id: &str) -> i64 {
        let sql = match self {
            Admin::Pg(_) => {
                format!("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'atpsim%{id}'")
            }
            Admin::My(_) => format!(
                "SELECT COUNT(*) FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'atpsim%{id}'"
            ),
        };
        self.int(&sql).await
    }

    async fn close(self) {
        match self {
            Admin::Pg(p) => p.close().await,
            Admin::My(p) => p.close().await,
        }
    }
}

/// Every client reads before any writes: the naive backend grants all 8
/// orders against 4 units, and its table shows one (each write set 1).
pub fn naive_oversells_under_a_forced_interleaving(store: &Store) {
    let run = forced_race(&store.backend("naive", ""), 8, 4);
    let s = &run.summary;
    assert_eq!(s.orders.granted, 8, "{:?}", s.orders);
    assert_eq!(
        (s.units.oversold, s.units.lost_updates),
        (4, 7),
        "{:?}",
        s.units
    );
}

/// Repeated contended bursts of mixed quantities: no oversell, no lost
/// update, nothing unexplained, nothing unanswered.
pub fn safe_backends_never_oversell(store: &Store, safe: &[(&str, &str)]) {
    for (strategy, extra) in safe {
        for seed in 1..=3 {
            let s = contended(&store.backend(strategy, extra), 400, 60, seed).summary;
            let u = &s.units;
            assert_eq!(
                (u.oversold, u.lost_updates, u.phantom, u.unknown),
                (0, 0, 0, 0),
                "{} seed {seed}: {u:?}",
                s.name
            );
            assert!(u.granted > 0, "{} seed {seed} sold nothing", s.name);
            assert_eq!(s.orders.error, 0, "{}: {:?}", s.name, s.orders);
            // Where ids are stored (README, "Order ids"), they add up to the
            // stock the backend says it reserved, sold-out attempts included.
            let stores_ids = !matches!(*strategy, "sharded" | "batch");
            let expected = if stores_ids { "exact" } else { "not_stored" };
            assert_eq!(s.unknowns.order_ids, expected, "{} seed {seed}", s.name);
        }
    }
}

/// Every safe strategy accepts exactly stock + buffer.
pub fn safe_backends_accept_exactly_the_buffer(store: &Store, safe: &[(&str, &str)]) {
    for (strategy, extra) in safe {
        assert_buffer_accepted_exactly(&buffered(&store.backend(strategy, extra)));
    }
}

/// A table and marker row of another run survive this run; this run's own
/// tables and marker row are gone afterwards.
pub fn another_runs_namespace_is_untouched(store: &Store) {
    let rt = runtime();
    let foreign = "atpsim_stock_zzzzzzzzzzzz";
    rt.block_on(async {
        let admin = store.admin().await;
        admin.exec(store.meta_ddl()).await;
        admin.exec(&format!("DROP TABLE IF EXISTS {foreign}")).await;
        admin
            .exec(&format!("CREATE TABLE {foreign} (sku BIGINT PRIMARY KEY, reserved BIGINT)"))
            .await;
        admin.exec(&format!("INSERT INTO {foreign} VALUES (0, 42)")).await;
        admin.exec("DELETE FROM atpsim_meta WHERE run_id = 'zzzzzzzzzzzz'").await;
        admin
            .exec("INSERT INTO atpsim_meta (run_id, backend, tool) VALUES ('zzzzzzzzzzzz', 'other', 'other')")
            .await;
        admin.close().await;
    });
    let run = contended(&store.backend("atomic", ""), 100, 30, 1);
    let own = run.environment["namespace"]
        .as_str()
        .expect("namespace")
        .to_string();
    rt.block_on(async {
        let admin = store.admin().await;
        assert_eq!(
            admin.tables_of(&own).await,
            0,
            "the run's own tables are dropped"
        );
        let ours = admin
            .int(&format!(
                "SELECT COUNT(*) FROM atpsim_meta WHERE run_id = '{own}'"
            ))
            .await;
        assert_eq!(ours, 0, "the run's own marker row is removed");
        let kept = admin
            .int(&format!("SELECT reserved FROM {foreign} WHERE sku = 0"))
            .await;
        assert_eq!(kept, 42, "the other run's table is untouched");
        let marker = admin
            .int("SELECT COUNT(*) FROM atpsim_meta WHERE run_id = 'zzzzzzzzzzzz'")
            .await;
        assert_eq!(marker, 1, "the other run's marker row is untouched");
        admin.exec(&format!("DROP TABLE {foreign}")).await;
        admin
            .exec("DELETE FROM atpsim_meta WHERE run_id = 'zzzzzzzzzzzz'")
            .await;
        admin.close().await;
    });
}

/// 5000 clients do not fit the server: refused before anything runs,
/// naming the numbers and the (redacted) server.
pub fn a_pool_beyond_the_free_slots_is_refused(store: &Store) {
    let s = scenario(&format!(
        "name = \"big\"\nseed = 1\nconcurrency = 5000\n[[sku]]\nid = \"A\"\nstock = 10\n\
         [[phase]]\nkind = \"instant\"\norders = 10000\n[[backend]]\n{}",
        store.backend("atomic", "")
    ));
    let plan = atpsim::plan::Plan::measure(&s);
    let e = runtime()
        .block_on(atpsim::runner::check_backends(&s, &plan))
        .expect_err("5000 connections do not fit");
    assert!(e.message.contains("needs 5000 connections"), "{e}");
    assert!(e.message.contains("max_connections"), "{e}");
    assert!(e.message.contains(&atpsim::redact::url(&store.url)), "{e}");
}

/// With `keep`, the run's table holds its final state afterwards.
pub fn keep_leaves_the_tables(store: &Store) {
    let s = scenario(&format!(
        "name = \"keep\"\nseed = 1\n[[sku]]\nid = \"A\"\nstock = 10\n\
         [[phase]]\nkind = \"instant\"\norders = 20\n[[backend]]\n{}",
        store.backend("atomic", "")
    ));
    let plan = atpsim::plan::Plan::measure(&s);
    let (_stop_tx, stop) = tokio::sync::watch::channel(Stop::Run);
    let options = RunOptions {
        keep: true,
        ..RunOptions::quiet(stop)
    };
    let rt = runtime();
    let run: BackendRun = rt
        .block_on(run_backend(&s, &plan, &s.backends[0], 0, &options))
        .expect("runs");
    assert_eq!(run.environment["kept"], true);
    let id = run.environment["namespace"].as_str().unwrap().to_string();
    rt.block_on(async {
        let admin = store.admin().await;
        let table = format!("atpsim_stock_{id}");
        let reserved = admin
            .int(&format!("SELECT reserved FROM {table} WHERE sku = 0"))
            .await;
        assert_eq!(reserved, 10, "the kept table shows the final state");
        admin.exec(&format!("DROP TABLE {table}")).await;
        // The atomic kinds keep their checkout orders and stored order ids
        // beside the stock.
        for kept in ["orders", "reservations"] {
            admin
                .exec(&format!("DROP TABLE IF EXISTS atpsim_{kept}_{id}"))
                .await;
        }
        admin
            .exec(&format!("DELETE FROM atpsim_meta WHERE run_id = '{id}'"))
            .await;
        admin.close().await;
    });
}

/// The conformance tests for one store, as `#[test]`s of the calling module:
/// `conformance_tests!(Server::Postgres, &[("atomic", ""), …])`, the list
/// naming the safe strategies (and their options) of that store.
macro_rules! conformance_tests {
    ($server:expr, $safe:expr) => {
        fn with_store(test: impl FnOnce(&$crate::conformance::Store)) {
            let _one = $crate::common::one_at_a_time();
            if let Some(store) = $crate::conformance::Store::find($server) {
                test(&store);
            }
        }

        #[test]
        fn naive_read_then_write_oversells_when_every_client_reads_first() {
            with_store($crate::conformance::naive_oversells_under_a_forced_interleaving);
        }

        #[test]
        fn safe_backends_never_oversell_across_contended_runs() {
            with_store(|store| $crate::conformance::safe_backends_never_oversell(store, $safe));
        }

        #[test]
        fn safe_backends_accept_exactly_stock_plus_buffer() {
            with_store(|store| {
                $crate::conformance::safe_backends_accept_exactly_the_buffer(store, $safe)
            });
        }

        #[test]
        fn a_namespace_left_by_another_run_is_untouched() {
            with_store($crate::conformance::another_runs_namespace_is_untouched);
        }

        #[test]
        fn a_pool_larger_than_the_free_connection_slots_is_refused_up_front() {
            with_store($crate::conformance::a_pool_beyond_the_free_slots_is_refused);
        }

        #[test]
        fn keep_leaves_the_tables_for_inspection() {
            with_store($crate::conformance::keep_leaves_the_tables);
        }
    };
}
