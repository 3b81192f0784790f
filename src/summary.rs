//! `RunSummary`: the one data contract every output reads (`run.json`).
//!
//! Invariant: this module depends on nothing but serde; reports and charts read
//! a `RunSummary`, never a backend, a recorder or raw orders. Every field here
//! is described in `results/README.md` and required by `schema/run.schema.json`.

use serde::{Deserialize, Serialize};

/// Bump on any change that removes, renames or re-means a field.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSummary {
    pub schema_version: u32,
    pub run_id: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub tool: Tool,
    pub environment: Environment,
    pub scenario: ScenarioInfo,
    pub interrupted: bool,
    pub thresholds: Vec<serde_json::Value>,
    pub repeats: Vec<serde_json::Value>,
    pub backends: Vec<BackendSummary>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
    pub git_commit: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    pub os: String,
    pub arch: String,
    pub cpu_count: usize,
    /// Per backend name: its store's version and the settings that change the answer.
    pub backends: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioInfo {
    pub name: String,
    pub file: String,
    pub seed: u64,
    pub schedule_hash: String,
    pub generator_version: u32,
    /// The effective scenario after defaults, as the run used it. Kept as
    /// its JSON text: with a million SKUs a `serde_json::Value` tree of it
    /// takes over half a gigabyte, the text about 45 MB.
    pub effective: Box<serde_json::value::RawValue>,
}

/// The top-level settings of `ScenarioInfo::effective` that reports read;
/// parsing only these skips the catalogue without building it.
#[derive(Debug, Default, Deserialize)]
pub struct EffectiveSettings {
    /// Window length asked for, in milliseconds.
    pub window: Option<f64>,
    pub min_window_orders: Option<u64>,
}

impl ScenarioInfo {
    /// The effective scenario of `scenario` as JSON text.
    pub fn effective_of(scenario: &impl Serialize) -> Box<serde_json::value::RawValue> {
        let text = serde_json::to_string(scenario).unwrap_or_else(|_| "null".into());
        serde_json::value::RawValue::from_string(text).expect("serde_json writes valid JSON")
    }

    /// Stands in for the effective scenario until it is rendered.
    pub fn effective_pending() -> Box<serde_json::value::RawValue> {
        serde_json::value::RawValue::from_string("null".into()).expect("valid JSON")
    }

    /// The settings reports read from the effective scenario (absent
    /// ones `None`, as from a file written by hand).
    pub fn settings(&self) -> EffectiveSettings {
        serde_json::from_str(self.effective.get()).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendSummary {
    pub name: String,
    pub store: String,
    pub strategy: String,
    pub options: serde_json::Value,
    pub aborted: bool,
    pub abort_reason: Option<String>,
    /// The run was interrupted while this backend ran (or as it ended): its
    /// figures cover only the part of the scenario it got to.
    #[serde(default)]
    pub cut_short: bool,
    /// The first message behind an `error` or `unknown` outcome.
    pub first_error: Option<String>,
    pub orders: Orders,
    pub units: Units,
    pub unknowns: Unknowns,
    pub oversell_rate: f64,
    pub sell_through: f64,
    pub throughput_per_s: f64,
    pub duration_ms: f64,
    pub latency_us: Latency,
    pub service_us: Spread,
    pub wait_us: Spread,
    pub dispatch_lag_us: Spread,
    pub co_safe: bool,
    pub harness_saturated: bool,
    pub peak: Peak,
    pub worst: Worst,
    pub windows: Vec<Window>,
    pub skus: Vec<SkuSummary>,
    pub oversell_samples: Vec<OversellSample>,
    /// The checkout lifecycle, for runs with `[checkout]` or `[[event]]`;
    /// null otherwise (`default` so runs saved before it existed still load).
    #[serde(default)]
    pub holds: Option<Holds>,
    /// How full a batching backend's batches were; null for any other
    /// (`default` so runs saved before it existed still load).
    #[serde(default)]
    pub batches: Option<Batches>,
}

/// The batches of a batching backend (results/README.md, "Batches"): one
/// batch is one conditional step settling one SKU's orders.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Batches {
    pub count: u64,
    pub orders: u64,
    pub size_mean: f64,
    pub size_p50: u64,
    pub size_p99: u64,
    pub size_max: u64,
}

/// What happened to the holds and sales of a checkout run (results/README.md, "Holds").
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Holds {
    pub created: u64,
    pub confirmed: u64,
    pub reacquired: u64,
    pub expired: u64,
    pub cancelled: u64,
    pub confirm_refused: u64,
    pub confirmed_after_expiry: u64,
    pub double_releases: u64,
    pub unknown: u64,
    pub live_at_end: u64,
    pub leaked: u64,
    pub refunded: u64,
    pub stranded_unit_seconds: f64,
    pub conservation_failures: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Orders {
    pub offered: u64,
    pub granted: u64,
    pub sold_out: u64,
    pub conflict: u64,
    pub error: u64,
    pub unknown: u64,
    pub retries: u64,
    pub oversold: u64,
    pub wrongly_refused: u64,
    pub fairness_inversions: u64,
    pub duplicate_grants: u64,
    /// Sold-out refusals that units in later-lapsed holds would have covered; 0
    /// without holds. `default` so runs saved before it existed still load.
    #[serde(default)]
    pub sold_out_while_held: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Units {
    pub stock: u64,
    pub granted: u64,
    pub unknown: u64,
    pub oversold: u64,
    pub oversold_possible: u64,
    pub within_buffer: u64,
    pub peak_overcommit: u64,
    pub oversold_at_grant: u64,
    pub lost_updates: u64,
    pub phantom: u64,
    pub correction_shortfall: u64,
    pub undersold: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Unknowns {
    /// `exact`, `disagree` or `not_stored` (results/README.md). Files
    /// written before order ids were stored lack both: they stored none.
    #[serde(default = "not_stored")]
    pub order_ids: String,
    #[serde(default)]
    pub id_mismatch_skus: u64,
    pub resolved_granted: u64,
    pub resolved_not: u64,
    pub unresolved: u64,
}

fn not_stored() -> String {
    "not_stored".to_string()
}

impl Default for Unknowns {
    fn default() -> Self {
        Unknowns {
            order_ids: not_stored(),
            id_mismatch_skus: 0,
            resolved_granted: 0,
            resolved_not: 0,
            unresolved: 0,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    /// Whole-run HdrHistogram of latency in nanoseconds, V2 compressed, base64.
    pub histogram: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Spread {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

/// Latency of a window: the whole-run percentiles without the histogram.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WindowLatency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

/// Order counts of a window (the whole-run figures that are known per window).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WindowOrders {
    pub offered: u64,
    pub granted: u64,
    pub sold_out: u64,
    pub conflict: u64,
    pub error: u64,
    pub unknown: u64,
    pub retries: u64,
    pub oversold: u64,
    pub fairness_inversions: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WindowUnits {
    /// Units of the window's orders that ended granted; `default` so runs
    /// saved before this field existed still load (they chart as zero).
    #[serde(default)]
    pub granted: u64,
    pub oversold_at_grant: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub index: u64,
    pub start_ms: f64,
    pub window_ms: f64,
    pub orders: WindowOrders,
    pub units: WindowUnits,
    pub latency_us: WindowLatency,
    pub holds_live: u64,
    pub faults: Vec<String>,
}

/// serde cannot deny unknown fields through `flatten`; the JSON Schema does.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Peak {
    /// True when no window stands out: `window` is then the whole run.
    pub flat: bool,
    #[serde(flatten)]
    pub window: Window,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Worst {
    pub latency: Option<Window>,
    pub oversell: Option<Window>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SkuSummary {
    pub id: String,
    pub stock: u64,
    pub buffer: u64,
    pub offered: u64,
    pub demand_units: u64,
    pub granted: u64,
    pub oversold: u64,
    pub undersold: u64,
    pub windows: Vec<Window>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OversellSample {
    pub order_id: u64,
    pub sku: String,
    pub qty: u64,
    pub intended_ms: f64,
    pub acknowledged_ms: f64,
}
