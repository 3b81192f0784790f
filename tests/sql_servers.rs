//! Tests against the real PostgreSQL, MariaDB and Redis servers (README, "Tests").
//! A missing server skips its tests with "skipped: no … at URL", unless
//! `ATPSIM_REQUIRE_SERVICES=1` (set by `.ci/run`), where it fails them.

#[path = "sql/checkout.rs"]
mod checkout;
#[path = "sql/checkout_redis.rs"]
mod checkout_redis;
#[path = "sql/common.rs"]
mod common;
#[path = "checkout/contract.rs"]
mod contract;
#[path = "sql/conformance.rs"]
#[macro_use]
mod conformance;
#[path = "sql/foreign.rs"]
mod foreign;
#[path = "sql/mysql.rs"]
mod mysql;
#[path = "sql/postgres.rs"]
mod postgres;
#[path = "checkout/property.rs"]
mod property;
#[path = "sql/redis.rs"]
mod redis;
#[path = "sql/redis_custom.rs"]
mod redis_custom;
#[path = "checkout/run.rs"]
mod run;
