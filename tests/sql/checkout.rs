//! The checkout contract (`tests/checkout/contract.rs`) on the server
//! backends that support it.

use crate::common::{one_at_a_time, server_url};
use crate::contract;
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
