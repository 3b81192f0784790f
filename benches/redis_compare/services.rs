//! The services the comparison needs: the server's URL, whether anything
//! answers there, and a `redis-benchmark` to run; and the policy for when
//! one is missing.
//!
//! Invariant: only an absent service is `Missing` (a skip, unless services
//! are required); a server that answers but refuses the connection, or any
//! other failure once both are there, is `Broken`.

use atpsim::scenario::Server;
use std::process::Command;
use std::time::Duration;

pub(crate) use crate::common::Stopped;

/// The server's URL, as the scenario validator would pick it.
pub(crate) fn server_url() -> String {
    std::env::var(Server::Redis.url_variable())
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| Server::Redis.default_url().to_string())
}

/// Whether anything accepts a TCP connection at the URL's host and port.
/// A URL the `url` crate cannot read (e.g. `redis+unix://`) is left to the
/// driver.
pub(crate) fn server_answers(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return true;
    };
    if !matches!(parsed.scheme(), "redis" | "rediss") {
        return true;
    }
    let host = parsed
        .host_str()
        .unwrap_or("127.0.0.1")
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed.port().unwrap_or(6379);
    std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|addr| {
            std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
        })
}

/// `redis-benchmark --version`, or why there is none to run.
pub(crate) fn redis_benchmark_version() -> Result<String, Stopped> {
    match Command::new("redis-benchmark").arg("--version").output() {
        Ok(out) if out.status.success() => {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        }
        Ok(out) => Err(Stopped::Missing(format!(
            "`redis-benchmark --version` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
        Err(e) => Err(Stopped::Missing(format!(
            "no `redis-benchmark` binary to run ({e}); it comes with the Redis \
             packages (redis-tools or redis-server)"
        ))),
    }
}
