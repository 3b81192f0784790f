//! `redis-lua`'s checkout calls against the real server: the contract the
//! memory backends keep, over dedicated and multiplexed connections, and
//! no key of the run left behind.

use super::common::*;
use super::contract;
use super::redis::{admin, keys_matching};
use atpsim::scenario::Server;

#[test]
fn redis_lua_keeps_the_checkout_contract() {
    let _one = one_at_a_time();
    let Some(url) = server_url(Server::Redis) else {
        return;
    };
    for extra in ["", "connection = \"multiplexed\"\n"] {
        let environment =
            contract::check(&format!("kind = \"redis-lua\"\nurl = \"{url}\"\n{extra}"));
        let namespace = environment["namespace"]
            .as_str()
            .expect("the environment names the run's namespace");
        let left = runtime().block_on(async {
            keys_matching(&mut admin(&url).await, &format!("{namespace}*")).await
        });
        assert!(left.is_empty(), "{extra}: keys left behind: {left:?}");
    }
}
