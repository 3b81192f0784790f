//! A table named like atpsim's marker table but not atpsim's: a run refuses
//! to use it (exit 3, naming it) and leaves it exactly as it was.
//!
//! Each test makes its own schema (PostgreSQL) or database (MariaDB), so the
//! shared `atpsim_meta` other runs use is never touched, and drops it at the
//! end however the test ends.

use super::common::*;
use atpsim::scenario::Server;
use std::process::{Command, Output};

/// The real binary on a one-backend scenario at `url`.
fn run_at(kind: &str, url: &str) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("foreign.toml");
    let text = format!(
        "name = \"foreign\"\nseed = 1\nconcurrency = 2\n\
         [[sku]]\nid = \"A\"\nstock = 5\n\
         [[phase]]\nkind = \"instant\"\norders = 10\n\
         [[backend]]\nkind = \"{kind}\"\nurl = \"{url}\"\n"
    );
    std::fs::write(&file, text).expect("write scenario");
    Command::new(env!("CARGO_BIN_EXE_atpsim"))
        .arg("run")
        .arg(&file)
        .args(["--quiet", "--no-charts", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .expect("atpsim runs")
}

fn assert_refused_naming_the_table(o: &Output) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "exit 3 (setup failed): {stderr}");
    assert!(
        stderr.contains("atpsim_meta") && stderr.contains("did not create"),
        "says which table and why: {stderr}"
    );
}

/// Runs `statements` on one admin connection of `url`, returning the rows
/// of the last as text (for queries; empty otherwise).
macro_rules! admin {
    ($connection:ty, $url:expr, $statements:expr) => {{
        use sqlx::{Connection, Row};
        runtime().block_on(async {
            let mut conn = <$connection>::connect($url)
                .await
                .expect("admin connection");
            let mut rows: Vec<String> = Vec::new();
            for s in $statements {
                rows = sqlx::query(s.as_str())
                    .fetch_all(&mut conn)
                    .await
                    .unwrap_or_else(|e| panic!("{s}: {e}"))
                    .iter()
                    .map(|r| r.get::<String, _>(0))
                    .collect();
            }
            let _ = conn.close().await;
            rows
        })
    }};
}

fn pg_admin(url: &str, statements: &[String]) -> Vec<String> {
    admin!(sqlx::PgConnection, url, statements)
}

fn my_admin(url: &str, statements: &[String]) -> Vec<String> {
    admin!(sqlx::MySqlConnection, url, statements)
}

/// Drops what a test created on the server when it ends, passed or not.
struct Cleanup<F: FnMut()>(F);

impl<F: FnMut()> Drop for Cleanup<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

#[test]
fn postgres_refuses_a_foreign_atpsim_meta_and_leaves_it_untouched() {
    let _one = one_at_a_time();
    let Some(url) = server_url(Server::Postgres) else {
        return;
    };
    let schema = format!("atpsim_foreign_{}", std::process::id());
    let pg = |s: &[String]| pg_admin(&url, s);
    pg(&[format!("DROP SCHEMA IF EXISTS {schema} CASCADE")]);
    let _drop = Cleanup(|| {
        pg(&[format!("DROP SCHEMA IF EXISTS {schema} CASCADE")]);
    });
    pg(&[
        format!("CREATE SCHEMA {schema}"),
        format!("CREATE TABLE {schema}.atpsim_meta (id integer PRIMARY KEY, note text NOT NULL)"),
        format!("INSERT INTO {schema}.atpsim_meta VALUES (1, 'theirs')"),
    ]);
    let sep = if url.contains('?') { '&' } else { '?' };
    let in_schema = format!("{url}{sep}options=-csearch_path%3D{schema}");
    assert_refused_naming_the_table(&run_at("postgres-atomic", &in_schema));
    let rows = pg(&[format!(
        "SELECT id::text || ':' || note FROM {schema}.atpsim_meta ORDER BY id"
    )]);
    assert_eq!(rows, ["1:theirs"], "its rows are as they were");
    let tables = pg(&[format!(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = '{schema}' ORDER BY 1"
    )]);
    assert_eq!(tables, ["atpsim_meta"], "nothing created beside it");
    let columns = pg(&[format!(
        "SELECT column_name::text FROM information_schema.columns \
         WHERE table_schema = '{schema}' AND table_name = 'atpsim_meta' ORDER BY ordinal_position"
    )]);
    assert_eq!(columns, ["id", "note"], "its shape is as it was");
    // A shape atpsim's INSERT would fit (its three columns and one more):
    // still not atpsim's table, so nothing is written into it.
    pg(&[
        format!("DROP TABLE {schema}.atpsim_meta"),
        format!(
            "CREATE TABLE {schema}.atpsim_meta (run_id text, backend text, tool text, owner text)"
        ),
        format!("INSERT INTO {schema}.atpsim_meta VALUES ('r', 'b', 't', 'theirs')"),
    ]);
    assert_refused_naming_the_table(&run_at("postgres-atomic", &in_schema));
    let rows = pg(&[format!(
        "SELECT run_id || ':' || owner FROM {schema}.atpsim_meta"
    )]);
    assert_eq!(rows, ["r:theirs"], "no row added or removed");
}

#[test]
fn mariadb_refuses_a_foreign_atpsim_meta_and_leaves_it_untouched() {
    let _one = one_at_a_time();
    let Some(url) = server_url(Server::Mysql) else {
        return;
    };
    let database = format!("atpsim_foreign_{}", std::process::id());
    let my = |s: &[String]| my_admin(&url, s);
    my(&[format!("DROP DATABASE IF EXISTS {database}")]);
    let _drop = Cleanup(|| {
        my(&[format!("DROP DATABASE IF EXISTS {database}")]);
    });
    my(&[
        format!("CREATE DATABASE {database}"),
        format!("CREATE TABLE {database}.atpsim_meta (id INT PRIMARY KEY, note TEXT NOT NULL)"),
        format!("INSERT INTO {database}.atpsim_meta VALUES (1, 'theirs')"),
    ]);
    let mut in_database = url::Url::parse(&url).expect("URL");
    in_database.set_path(&database);
    assert_refused_naming_the_table(&run_at("mysql-atomic", in_database.as_str()));
    let rows = my(&[format!(
        "SELECT CONCAT(id, ':', note) FROM {database}.atpsim_meta ORDER BY id"
    )]);
    assert_eq!(rows, ["1:theirs"], "its rows are as they were");
    let tables = my(&[format!(
        "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = '{database}' ORDER BY 1"
    )]);
    assert_eq!(tables, ["atpsim_meta"], "nothing created beside it");
}
