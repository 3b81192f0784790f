//! Sweeps: one scenario run at several points of one knob (the client
//! concurrency, or the offered rate), every backend at every point, through
//! the same runner as `atpsim run`.
//!
//! Invariant: `SweepSummary` is the one data contract the sweep's outputs
//! read (`sweep.json`, the table, `sweep.md`, the chart); each measured
//! point carries the full `BackendSummary` a `run.json` would, and
//! `schema/sweep.schema.json` takes that record from `run.schema.json`.

pub mod knee;
pub mod points;
pub mod slots;
pub mod table;

pub use points::Axis;

use crate::summary::{BackendSummary, Environment, ScenarioInfo, Tool};
use serde::{Deserialize, Serialize};

/// Bump on any change that removes, renames or re-means a field of `sweep.json`.
pub const SWEEP_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSummary {
    pub schema_version: u32,
    pub run_id: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub tool: Tool,
    pub environment: Environment,
    /// The scenario as written, before any point was applied.
    pub scenario: ScenarioInfo,
    pub axis: Axis,
    /// Every point asked for, ascending.
    #[serde(serialize_with = "whole_numbers")]
    pub points: Vec<f64>,
    /// The sweep was stopped by SIGINT or SIGTERM: the points not yet
    /// reached have no record.
    pub interrupted: bool,
    /// One per backend × point reached, points in order, backends in the
    /// scenario's order within each point.
    pub records: Vec<PointRecord>,
    /// One per backend: the knee of its measured points, if any.
    pub knees: Vec<BackendKnee>,
}

/// What became of one backend at one point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Measured: `summary` holds the figures.
    Ran,
    /// Not run: the server had too few free connection slots (`reason`).
    Skipped,
    /// The backend could not be set up at this point (`reason`).
    Failed,
    /// Cut short by an interrupt: `summary` holds what was measured until
    /// the stop, so it is shown but not used for the knee.
    Interrupted,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointRecord {
    pub backend: String,
    /// The point's value on the axis.
    #[serde(serialize_with = "whole_number")]
    pub point: f64,
    /// Clients of the run at this point (open-loop pool plus closed phases).
    pub clients: u32,
    pub status: Status,
    /// Why the point was skipped or failed; null when it ran.
    pub reason: Option<String>,
    /// The schedule hash of the scenario with the point applied.
    pub schedule_hash: String,
    /// The backend record `run.json` would hold; null unless `ran`.
    pub summary: Option<BackendSummary>,
}

impl PointRecord {
    /// The record's figures, when it measured something the knee may use.
    pub fn measured(&self) -> Option<&BackendSummary> {
        self.summary
            .as_ref()
            .filter(|s| self.status == Status::Ran && !s.aborted)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendKnee {
    pub backend: String,
    /// The knee point, or null when no measured point qualifies.
    #[serde(serialize_with = "whole_option")]
    pub point: Option<f64>,
    /// The measured point before it.
    #[serde(serialize_with = "whole_option")]
    pub previous: Option<f64>,
    pub throughput_ratio: Option<f64>,
    pub p99_ratio: Option<f64>,
}

impl SweepSummary {
    /// Backend names in the order they first appear.
    pub fn backends(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for r in &self.records {
            if !names.contains(&r.backend.as_str()) {
                names.push(&r.backend);
            }
        }
        names
    }

    /// The records of one backend, in point order.
    pub fn of<'a>(&'a self, backend: &'a str) -> impl Iterator<Item = &'a PointRecord> + 'a {
        self.records.iter().filter(move |r| r.backend == backend)
    }

    /// Recompute every backend's knee from its measured records.
    pub fn find_knees(&mut self) {
        let knees = self
            .backends()
            .into_iter()
            .map(|name| {
                let measured: Vec<knee::Measured> = self
                    .of(name)
                    .filter_map(|r| {
                        r.measured().map(|s| knee::Measured {
                            point: r.point,
                            throughput_per_s: s.throughput_per_s,
                            p99_us: s.latency_us.p99,
                        })
                    })
                    .collect();
                let k = knee::find(&measured);
                BackendKnee {
                    backend: name.to_string(),
                    point: k.map(|k| k.point),
                    previous: k.map(|k| k.previous),
                    throughput_ratio: k.map(|k| k.throughput_ratio),
                    p99_ratio: k.map(|k| k.p99_ratio),
                }
            })
            .collect();
        self.knees = knees;
    }

    pub fn knee_of(&self, backend: &str) -> Option<&BackendKnee> {
        self.knees.iter().find(|k| k.backend == backend)
    }
}

/// A sweep of one backend (the record of `tests/data/minimal-run.json`)
/// whose points measured `(point, throughput_per_s, p99_us, status)`.
#[cfg(test)]
pub(crate) fn fixture(points: &[(f64, f64, f64, Status)]) -> SweepSummary {
    let run: crate::summary::RunSummary =
        serde_json::from_str(include_str!("../../tests/data/minimal-run.json")).unwrap();
    let records = points
        .iter()
        .map(|&(point, throughput, p99, status)| {
            let mut summary = run.backends[0].clone();
            summary.throughput_per_s = throughput;
            summary.latency_us.p99 = p99;
            PointRecord {
                backend: summary.name.clone(),
                point,
                clients: point as u32,
                status,
                reason: (status != Status::Ran).then(|| "free connection slots 0 < 1".into()),
                schedule_hash: String::new(),
                summary: (status == Status::Ran).then_some(summary),
            }
        })
        .collect();
    let mut sweep = SweepSummary {
        schema_version: SWEEP_SCHEMA_VERSION,
        run_id: "r".into(),
        started_at: run.started_at,
        tool: run.tool,
        environment: run.environment,
        scenario: run.scenario,
        axis: Axis::Concurrency,
        points: points.iter().map(|p| p.0).collect(),
        interrupted: false,
        records,
        knees: Vec::new(),
    };
    sweep.find_knees();
    sweep
}

/// A whole point (every concurrency, most rates) is written as an integer,
/// so `sweep.json` says `16`, not `16.0`.
fn whole_number<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        s.serialize_i64(*v as i64)
    } else {
        s.serialize_f64(*v)
    }
}

fn whole_option<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => whole_number(v, s),
        None => s.serialize_none(),
    }
}

fn whole_numbers<S: serde::Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    struct Whole(f64);
    impl Serialize for Whole {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            whole_number(&self.0, s)
        }
    }
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for x in v {
        seq.serialize_element(&Whole(*x))?;
    }
    seq.end()
}
