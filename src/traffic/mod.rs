//! Traffic: when orders are due (`arrival`), what they ask for (`workload`),
//! both merged into one lazy, seeded `Schedule`.

pub mod arrival;
pub mod sample;
pub mod schedule;
pub mod workload;

pub use schedule::{
    schedule_hash, workload_for_phase, Order, OrderRun, Schedule, CLOSED_LOOP_ID_BASE, RUN_MAX,
};
pub use workload::Workload;
