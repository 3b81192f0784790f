//! The checkout contract (`tests/checkout/contract.rs`) on the server
//! backends that support it.

use crate::common::{one_at_a_time, server_url};
use crate::contract;
use crate::property;
use crate::run;
use atpsim::scenario::Server;

fn keeps_the_contract(kind: &str, server: Server) {
    let Some(url) = server_url(server) else {
        return;
    };
    let _servers = one_at_a_time();
    contract::check(&format!("kind = \"{kind}\"\nurl = \"{url}\""));
}

#[test]
fn postgres_atomic_keeps_the_checkout_contract() {
    keeps_the_contract("postgres-atomic", Server::Postgres);
}

#[test]
fn mysql_atomic_keeps_the_checkout_contract() {
    keeps_the_contract("mysql-atomic", Server::Mysql);
}

/// A whole checkout run (`tests/checkout/run.rs`) on each server backend.
#[test]
fn checkout_runs_on_the_servers_keep_the_lifecycle() {
    for (kind, server) in [
        ("postgres-atomic", Server::Postgres),
        ("mysql-atomic", Server::Mysql),
        ("redis-lua", Server::Redis),
    ] {
        let Some(url) = server_url(server) else {
            continue;
        };
        let _servers = one_at_a_time();
        for policy in ["reject", "reacquire"] {
            let r = run::run(&format!("kind = \"{kind}\"\nurl = \"{url}\""), policy);
            run::assert_keeps_the_lifecycle(&r);
        }
    }
}

/// Conservation (`tests/checkout/property.rs`) on each server backend.
#[test]
fn holds_conserve_stock_on_the_servers() {
    for (kind, server) in [
        ("postgres-atomic", Server::Postgres),
        ("mysql-atomic", Server::Mysql),
        ("redis-lua", Server::Redis),
    ] {
        let Some(url) = server_url(server) else {
            continue;
        };
        let _servers = one_at_a_time();
        property::conserves_stock(&format!("kind = \"{kind}\"\nurl = \"{url}\""), 8);
    }
}
