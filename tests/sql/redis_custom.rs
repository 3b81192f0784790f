//! `redis-custom` against the real server: a team's own Lua, written here,
//! judged by the ledger like any backend.

use super::common::*;
use atpsim::backend::Hooks;
use atpsim::scenario::Server;
use std::path::Path;

/// The counter layout of the shipped example, `scenarios/redis-custom/`:
/// `avail:<id>` counts down, `taken:<n>` counts what was promised.
const COUNTER_RESET: &str = include_str!("../../scenarios/redis-custom/reset.lua");
const COUNTER_SNAPSHOT: &str = include_str!("../../scenarios/redis-custom/snapshot.lua");
const COUNTER_RESERVE: &str = include_str!("../../scenarios/redis-custom/reserve.lua");
const COUNTER_KEYS: &str = "keys = [\"avail:{sku_id}\", \"taken:{sku}\"]\n";

/// The default hash layout with the classic off-by-one: `+ 1` lets the
/// last order through when nothing is left.
const OFF_BY_ONE: &str = "\
local v = redis.call('HMGET', KEYS[1], 'on_hand', 'buffer', 'reserved')
if tonumber(v[1]) + tonumber(v[2]) - tonumber(v[3]) + 1 >= tonumber(ARGV[1]) then
  redis.call('HINCRBY', KEYS[1], 'reserved', ARGV[1])
  return 1
end
return 0
";

fn url() -> Option<String> {
    server_url(Server::Redis)
}

/// Write `files` into `dir` and a scenario there: 400 single-unit orders
/// from 16 clients on one SKU of 50, and a second SKU nobody buys.
fn write_scenario(dir: &Path, url: &str, options: &str, files: &[(&str, &str)]) -> String {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    format!(
        "name = \"custom-lua\"\nseed = 3\nconcurrency = 16\ntimeout = \"10s\"\n\
         [[sku]]\nid = \"HOT\"\nstock = 50\n[[sku]]\nid = \"COLD\"\nstock = 7\n\
         [[phase]]\nkind = \"instant\"\norders = 400\nskus = {{ pick = \"one\", sku = \"HOT\" }}\n\
         [[backend]]\nkind = \"redis-custom\"\nurl = \"{url}\"\n{options}"
    )
}

fn custom_run(url: &str, options: &str, files: &[(&str, &str)]) -> atpsim::runner::BackendRun {
    let dir = tempfile::tempdir().unwrap();
    let body = write_scenario(dir.path(), url, options, files);
    let s = scenario_at(&body, &dir.path().join("custom.toml"));
    run(&s, 0, Hooks::default())
}

fn run_keys(url: &str) -> usize {
    runtime().block_on(async {
        let mut conn = super::redis::admin(url).await;
        super::redis::keys_matching(&mut conn, "atpsim:*")
            .await
            .len()
    })
}

#[test]
fn a_correct_script_on_its_own_key_layout_sells_exactly_the_stock() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    let before = run_keys(&url);
    let options = format!(
        "{COUNTER_KEYS}reset = \"reset.lua\"\nreserve = \"reserve.lua\"\nsnapshot = \"snapshot.lua\"\n"
    );
    let run = custom_run(
        &url,
        &options,
        &[
            ("reset.lua", COUNTER_RESET),
            ("reserve.lua", COUNTER_RESERVE),
            ("snapshot.lua", COUNTER_SNAPSHOT),
        ],
    );
    let s = &run.summary;
    let u = &s.units;
    assert_eq!(
        (
            u.granted,
            u.oversold,
            u.lost_updates,
            u.phantom,
            u.undersold
        ),
        (50, 0, 0, 0, 0),
        "{u:?}"
    );
    assert_eq!(
        (s.orders.granted, s.orders.unknown, s.orders.error),
        (50, 0, 0)
    );
    assert_eq!(run_keys(&url), before, "the run's keys are removed");
}

#[test]
fn an_off_by_one_guard_is_caught_overselling_one_unit() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    // Default layout: only the reserve file is the team's.
    let run = custom_run(
        &url,
        "reserve = \"reserve.lua\"\n",
        &[("reserve.lua", OFF_BY_ONE)],
    );
    let u = &run.summary.units;
    // The script runs alone on the server, so the slip is exact: the one
    // order that finds nothing left is granted, the next ones are not.
    assert_eq!((u.granted, u.oversold, u.lost_updates), (51, 1, 0), "{u:?}");
}

#[test]
fn answers_other_than_one_or_zero_and_failing_scripts_are_unknown() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    for (script, says) in [
        (
            "redis.call('HINCRBY', KEYS[1], 'reserved', ARGV[1])\nreturn 'yes'\n",
            "the string \"yes\"",
        ),
        (
            "redis.call('HINCRBY', KEYS[1], 'reserved', ARGV[1])\nreturn nil + 1\n",
            "arithmetic",
        ),
    ] {
        let run = custom_run(
            &url,
            "reserve = \"reserve.lua\"\n",
            &[("reserve.lua", script)],
        );
        let s = &run.summary;
        assert_eq!(s.orders.unknown, s.orders.offered, "{:?}", s.orders);
        assert_eq!(s.orders.granted, 0);
        // Every one of them wrote: the bounds say so.
        assert_eq!(s.units.oversold_possible, 400 - 50, "{:?}", s.units);
        let first = s.first_error.as_deref().unwrap_or("");
        assert!(first.contains(says), "{first}");
    }
}

#[test]
fn a_script_that_does_not_compile_exits_2_naming_its_file_and_line() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let body = write_scenario(dir.path(), &url, "reserve = \"lua/reserve.lua\"\n", &[]);
    std::fs::create_dir(dir.path().join("lua")).unwrap();
    std::fs::write(
        dir.path().join("lua/reserve.lua"),
        "local v = redis.call('HGET', KEYS[1], 'reserved')\nif v then retrun 1 end\nreturn 0\n",
    )
    .unwrap();
    let path = dir.path().join("custom.toml");
    std::fs::write(&path, body).unwrap();
    let before = run_keys(&url);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_atpsim"))
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("lua/reserve.lua:2:"), "{stderr}");
    assert!(stderr.contains("cannot compile"), "{stderr}");
    assert!(!dir.path().join("out").exists(), "nothing written");
    assert_eq!(run_keys(&url), before, "nothing left on the server");
}

#[test]
fn a_snapshot_that_fails_at_the_check_is_bad_input_naming_its_line() {
    let _one = one_at_a_time();
    let Some(url) = url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let body = write_scenario(
        dir.path(),
        &url,
        "reserve = \"reserve.lua\"\nsnapshot = \"snapshot.lua\"\n",
        &[
            ("reserve.lua", OFF_BY_ONE),
            ("snapshot.lua", "-- broken\nlocal x = nil\nreturn x + 1\n"),
        ],
    );
    let s = scenario_at(&body, &dir.path().join("custom.toml"));
    let plan = atpsim::plan::Plan::measure(&s);
    let e = runtime()
        .block_on(atpsim::runner::check_backends(&s, &plan))
        .expect_err("the snapshot cannot work");
    assert!(e.bad_input, "{e}");
    assert!(e.message.contains("snapshot.lua:3:"), "{e}");
}
