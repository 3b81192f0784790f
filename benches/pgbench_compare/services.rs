//! The services the comparison needs: the server's URL, whether anything
//! answers there, what the server is set to, and a `pgbench` to run; and the
//! policy for when one is missing.
//!
//! Invariant: only an absent service is `Missing` (a skip, unless services
//! are required); a server that answers but refuses the login, or any other
//! failure once both are there, is `Broken`.

use atpsim::scenario::Server;
use sqlx::postgres::PgPool;
use std::process::Command;
use std::time::Duration;

pub(crate) use crate::common::Stopped;

/// The server's URL, as the scenario validator would pick it.
pub(crate) fn server_url() -> String {
    std::env::var(Server::Postgres.url_variable())
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| Server::Postgres.default_url().to_string())
}

/// Whether anything accepts a TCP connection at the URL's host and port, as
/// the server tests check. A URL naming a socket directory (`?host=/…`) is
/// left to the driver.
pub(crate) fn server_answers(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return true;
    };
    if parsed
        .query_pairs()
        .any(|(k, v)| k == "host" && v.starts_with('/'))
    {
        return true;
    }
    let host = parsed
        .host_str()
        .unwrap_or("127.0.0.1")
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed.port().unwrap_or(5432);
    std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|addr| {
            std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
        })
}

/// Server settings that decide what one UPDATE costs.
pub(crate) async fn server_settings(admin: &PgPool) -> Result<String, sqlx::Error> {
    let mut parts = Vec::new();
    for name in [
        "server_version",
        "synchronous_commit",
        "fsync",
        "max_connections",
    ] {
        let value: String = sqlx::query_scalar("SELECT current_setting($1)")
            .bind(name)
            .fetch_one(admin)
            .await?;
        parts.push(format!("{name} {value}"));
    }
    Ok(parts.join(", "))
}

/// `pgbench --version`, or why there is none to run.
pub(crate) fn pgbench_version() -> Result<String, Stopped> {
    match Command::new("pgbench").arg("--version").output() {
        Ok(out) if out.status.success() => {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        }
        Ok(out) => Err(Stopped::Missing(format!(
            "`pgbench --version` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
        Err(e) => Err(Stopped::Missing(format!(
            "no `pgbench` binary to run ({e}); it comes with the PostgreSQL client \
             packages (postgresql-contrib or postgresql-client)"
        ))),
    }
}
