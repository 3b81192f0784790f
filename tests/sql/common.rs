//! What the server tests share: finding the server (or skipping), one test
//! at a time against the servers, and running one backend of a scenario.

use atpsim::backend::Hooks;
use atpsim::plan::Plan;
use atpsim::runner::{run_backend, BackendRun, RunOptions, Stop};
use atpsim::scenario::{parse, Scenario, Server};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Server tests run one at a time, which caps their combined connections
/// at one run's pool (the largest here is 16) plus an admin connection.
static SERVERS: Mutex<()> = Mutex::new(());

pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    SERVERS.lock().unwrap_or_else(|p| p.into_inner())
}

/// The URL of `server` if it answers; otherwise skip (return `None`) or,
/// under `ATPSIM_REQUIRE_SERVICES=1`, fail.
pub fn server_url(server: Server) -> Option<String> {
    let url = std::env::var(server.url_variable())
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| server.default_url().to_string());
    let parsed = url::Url::parse(&url).expect("server URL parses");
    let host = parsed.host_str().unwrap_or("127.0.0.1").to_string();
    let port = parsed.port().unwrap_or(match server {
        Server::Postgres => 5432,
        Server::Mysql => 3306,
        Server::Redis => 6379,
    });
    let reachable = std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|addr| {
            std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
        });
    if reachable {
        return Some(url);
    }
    let shown = atpsim::redact::url(&url);
    if std::env::var("ATPSIM_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!(
            "no {} at {shown}, and ATPSIM_REQUIRE_SERVICES=1 makes that a failure",
            server.as_str()
        );
    }
    eprintln!("skipped: no {} at {shown}", server.as_str());
    None
}

pub fn scenario(body: &str) -> Scenario {
    scenario_at(body, Path::new("test.toml"))
}

pub fn scenario_at(body: &str, path: &Path) -> Scenario {
    parse(body, path).unwrap_or_else(|e| panic!("test scenario: {e}"))
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Run backend `index` of `s` on its schedule, with `hooks`.
pub fn run(s: &Scenario, index: usize, hooks: Hooks) -> BackendRun {
    let plan = Plan::measure(s);
    let (_stop_tx, stop) = tokio::sync::watch::channel(Stop::Run);
    let options = RunOptions {
        hooks,
        ..RunOptions::quiet(stop)
    };
    runtime()
        .block_on(run_backend(s, &plan, &s.backends[index], index, &options))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// `clients` orders of one unit on one SKU of `stock`, all due at once, with
/// every client held between its read and its write: the race made certain.
pub fn forced_race(backend: &str, clients: u32, stock: u64) -> BackendRun {
    let s = scenario(&format!(
        "name = \"race\"\nseed = 1\nconcurrency = {clients}\nretries = 0\ntimeout = \"10s\"\n\
         [[sku]]\nid = \"HOT\"\nstock = {stock}\n\
         [[phase]]\nkind = \"instant\"\norders = {clients}\nskus = {{ pick = \"one\", sku = \"HOT\" }}\n\
         [[backend]]\n{backend}\n"
    ));
    let hooks = Hooks {
        between_read_and_write: Some(std::sync::Arc::new(tokio::sync::Barrier::new(
            clients as usize,
        ))),
    };
    run(&s, 0, hooks)
}

/// A contended burst: `orders` orders of 1–3 units on one SKU of `stock`,
/// from 16 clients, plus some on a second SKU.
pub fn contended(backend: &str, orders: u64, stock: u64, seed: u64) -> BackendRun {
    let s = scenario(&format!(
        "name = \"burst\"\nseed = {seed}\nconcurrency = 16\nretries = 5\ntimeout = \"10s\"\n\
         [[sku]]\nid = \"HOT\"\nstock = {stock}\n[[sku]]\nid = \"TAIL\"\nstock = 20\n\
         [[phase]]\nkind = \"instant\"\norders = {orders}\nskus = {{ pick = \"weights\", weights = {{ HOT = 9, TAIL = 1 }} }}\n\
         quantity = {{ min = 1, max = 3 }}\n\
         [[backend]]\n{backend}\n"
    ));
    run(&s, 0, Hooks::default())
}

/// Stock 20 and an oversell buffer of 5 on one SKU, 100 single-unit orders
/// from 8 clients with retries enough for the optimistic backends to settle.
pub const BUFFERED_STOCK: u64 = 20;
pub const BUFFER: u64 = 5;

pub fn buffered(backend: &str) -> BackendRun {
    let s = scenario(&format!(
        "name = \"buffer\"\nseed = 5\nconcurrency = 8\nretries = 100\ntimeout = \"10s\"\n\
         [[sku]]\nid = \"HOT\"\nstock = {BUFFERED_STOCK}\nbuffer = {BUFFER}\n\
         [[phase]]\nkind = \"instant\"\norders = 100\nskus = {{ pick = \"one\", sku = \"HOT\" }}\n\
         [[backend]]\n{backend}\n"
    ));
    run(&s, 0, Hooks::default())
}

/// A safe backend accepts exactly stock + buffer: the buffer's units show
/// as chosen oversell (`within_buffer`), none beyond it as a defect.
pub fn assert_buffer_accepted_exactly(run: &BackendRun) {
    let s = &run.summary;
    let u = &s.units;
    assert_eq!(
        (
            u.granted,
            u.within_buffer,
            u.oversold,
            u.lost_updates,
            u.undersold
        ),
        (BUFFERED_STOCK + BUFFER, BUFFER, 0, 0, 0),
        "{}: {u:?} {:?}",
        s.name,
        s.orders
    );
}
