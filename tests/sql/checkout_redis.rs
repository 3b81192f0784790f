//! `redis-lua`'s checkout calls against the real server: the contract the
//! memory backends keep, over dedicated and multiplexed connections, and
//! no key of the run left behind.

use super::common::*;
use super::contract;
use super::redis::{admin, keys_matching};
use atpsim::backend::checkout::{Confirmed, Line, OrderRef, Released, Take};
use atpsim::backend::{with_backend, AsyncBackendFn, Backend, OpenContext, Reply, SentFlag};
use atpsim::scenario::{AfterExpiry, Server, Sku, MAX_UNITS};
use std::time::Duration;

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

/// What the contract does not look at: counts near 2^53 - 1 stay exact
/// through the scripts, a cart's hold lapses as a whole even when a later
/// clock reaped one of its SKUs first, no key carries a TTL, and a script
/// that fails once sent is `unknown` with its message kept.
#[test]
fn redis_lua_checkout_beyond_the_contract() {
    let _one = one_at_a_time();
    let Some(url) = server_url(Server::Redis) else {
        return;
    };
    let s = scenario(&format!(
        "name = \"probe\"\nseed = 1\n\
         [[sku]]\nid = \"BIG\"\nstock = {}\nbuffer = 1\n\
         [[sku]]\nid = \"A\"\nstock = 2\n[[sku]]\nid = \"B\"\nstock = 2\n\
         [[phase]]\nkind = \"instant\"\norders = 1\n\
         [[backend]]\nkind = \"redis-lua\"\nurl = \"{url}\"\n",
        BIG_LIMIT - 1
    ));
    let ctx = OpenContext {
        clients: 4,
        timeout: Duration::from_secs(10),
        ..OpenContext::default()
    };
    let outcome = runtime().block_on(async {
        with_backend(
            &s.backends[0],
            &s.skus,
            &ctx,
            Probe {
                url: &url,
                skus: &s.skus,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
    });
    if let Err(message) = outcome {
        panic!("{message}");
    }
}

const BIG: u32 = 0;
/// BIG's stock plus buffer: as near 2^53 - 1 as the catalogue total allows.
const BIG_LIMIT: u64 = MAX_UNITS - 4;
const A: u32 = 1;
const B: u32 = 2;

struct Probe<'a> {
    url: &'a str,
    skus: &'a [Sku],
}

impl AsyncBackendFn<Result<(), String>> for Probe<'_> {
    async fn call<Bk: Backend>(self, b: Bk) -> Result<(), String> {
        b.prepare(self.skus).await.map_err(|e| e.to_string())?;
        let outcome = probe(&b, self.url).await;
        b.close().await;
        outcome
    }
}

macro_rules! expect {
    ($what:expr, $got:expr, $want:expr) => {{
        let got = $got;
        if got != $want {
            return Err(format!("{}: got {:?}, want {:?}", $what, got, $want));
        }
    }};
}

async fn probe<Bk: Backend>(b: &Bk, url: &str) -> Result<(), String> {
    let sent = SentFlag::default();
    let take = |key, lines, now_us, expires_us| Take {
        key,
        lines,
        now_us,
        expires_us,
    };
    let order = |key, lines, now_us| OrderRef { key, lines, now_us };
    let line = |sku, qty| Line { sku, qty };
    let state = |sku: u32| async move {
        b.stock_state()
            .await
            .map_err(|e| e.to_string())
            .map(|s| s[sku as usize])
    };

    // All but one unit of BIG held, the last sold, then the hold lapses.
    let most = [line(BIG, BIG_LIMIT - 1)];
    expect!(
        "hold all but one",
        b.take(&take(1, &most, 0, Some(100)), &sent).await,
        Reply::Granted
    );
    let one = [line(BIG, 1)];
    expect!(
        "sell the last",
        b.take(&take(2, &one, 10, None), &sent).await,
        Reply::Granted
    );
    expect!(
        "sell one more",
        b.take(&take(3, &one, 20, None), &sent).await,
        Reply::SoldOut
    );
    expect!(
        "sell them again as the hold lapses",
        b.take(&take(4, &most, 100, None), &sent).await,
        Reply::Granted
    );
    let s = state(BIG).await?;
    expect!(
        "BIG (on_hand, held, sold)",
        (s.on_hand, s.held, s.sold),
        (BIG_LIMIT - 1, 0, BIG_LIMIT)
    );
    expect!(
        "refund the big sale",
        b.refund(&order(4, &most, 200), &sent).await,
        Released::Released
    );
    expect!("BIG sold after the refund", state(BIG).await?.sold, 1);
    expect!(
        "correct BIG below zero",
        b.adjust(BIG, i64::MIN, &sent).await,
        Reply::Granted
    );
    expect!("BIG on_hand", state(BIG).await?.on_hand, 0);

    // A sale at the deadline reaps the cart's A part first; a confirmation
    // that reaches the server later with an earlier clock finds it lapsed
    // and must not sell B on its own.
    let cart = [line(A, 1), line(B, 1)];
    let (one_a, one_b) = ([line(A, 1)], [line(B, 1)]);
    expect!(
        "hold the cart",
        b.take(&take(10, &cart, 0, Some(1_000)), &sent).await,
        Reply::Granted
    );
    let ttls = ttls(url, &b.environment()).await;
    expect!("keys with a TTL", ttls, Vec::<(String, i64)>::new());
    expect!(
        "sell A at the deadline",
        b.take(&take(11, &one_a, 1_000, None), &sent).await,
        Reply::Granted
    );
    expect!(
        "confirm with an earlier clock",
        b.confirm(&order(10, &cart, 999), AfterExpiry::Reject, &sent)
            .await,
        Confirmed::Lapsed
    );
    let (a, bb) = (state(A).await?, state(B).await?);
    expect!(
        "A (held, sold, holds)",
        (a.held, a.sold, a.holds),
        (0, 1, 0)
    );
    expect!(
        "B (held, sold, holds)",
        (bb.held, bb.sold, bb.holds),
        (0, 0, 0)
    );
    expect!(
        "release it",
        b.release(&order(10, &cart, 999), &sent).await,
        Released::Nothing
    );

    // A script that fails after it was sent may have written: unknown.
    let namespace = b.environment()["namespace"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let mut conn = admin(url).await;
    ::redis::cmd("DEL")
        .arg(format!("{namespace}co:sku:{B}"))
        .query_async::<()>(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    expect!(
        "take on a SKU whose stock hash is gone",
        b.take(&take(12, &one_b, 2_000, None), &sent).await,
        Reply::Unknown
    );
    let first = b.first_error().unwrap_or_default();
    if !first.contains("no stock hash") {
        return Err(format!("first_error: {first:?}"));
    }
    Ok(())
}

/// The run's keys that carry a TTL (`TTL` is -1 for a key without one).
async fn ttls(url: &str, environment: &serde_json::Value) -> Vec<(String, i64)> {
    let namespace = environment["namespace"].as_str().expect("namespace");
    let mut conn = admin(url).await;
    let mut with_ttl = Vec::new();
    for key in keys_matching(&mut conn, &format!("{namespace}*")).await {
        let ttl: i64 = ::redis::cmd("TTL")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .expect("TTL");
        if ttl != -1 {
            with_ttl.push((key, ttl));
        }
    }
    with_ttl
}
