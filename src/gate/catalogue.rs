//! The metrics a threshold or comparison may name, read from the shipped
//! JSON Schema of `run.json` (`schema/run.schema.json`), so that there is one
//! list of paths, types and worse directions, not a second hand-kept one.
//!
//! Invariant: every path here is a plain number or boolean leaf of a backend
//! record, written the way `results/README.md` writes it (`units.oversold`,
//! `peak.latency_us.p99`); window aggregates (`windows.max.X`,
//! `windows.min.X`, `windows[].X`) are derived from `windows[].X`.

use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The schema, compiled in: the binary checks paths against the same file
/// the repository ships and its tests validate output with.
const SCHEMA: &str = include_str!("../../schema/run.schema.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Integer,
    Number,
    Boolean,
}

/// What a value is measured in; decides which suffixes a limit may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A count or any figure without a time unit.
    Plain,
    /// A share, 0..1; `%` is accepted.
    Ratio,
    Microseconds,
    Milliseconds,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Worse {
    Higher,
    Lower,
}

/// Which part of a backend record a path reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Run,
    Peak,
    Worst,
    /// `windows.max.X`: the largest X over windows with enough orders.
    WindowsMax,
    /// `windows.min.X`: the smallest.
    WindowsMin,
    /// `windows[].X`: every window with enough orders must pass.
    EveryWindow,
}

#[derive(Debug, Clone)]
pub struct Metric {
    pub path: String,
    pub kind: Kind,
    pub unit: Unit,
    pub worse: Option<Worse>,
    pub scope: Scope,
    /// Path inside the object the scope selects (the window for window scopes).
    pub field: String,
}

/// Every metric path, sorted.
pub fn all() -> &'static BTreeMap<String, Metric> {
    static CATALOGUE: OnceLock<BTreeMap<String, Metric>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let schema: Value = serde_json::from_str(SCHEMA).expect("the shipped schema is JSON");
        build(&schema)
    })
}

pub fn get(path: &str) -> Option<&'static Metric> {
    all().get(path)
}

/// Up to `n` known paths closest to `path` by edit distance, nearest first;
/// paths that end in the same field are preferred, since a typo usually sits
/// in one segment.
pub fn close_matches(path: &str, n: usize) -> Vec<&'static str> {
    let mut scored: Vec<(usize, &'static str)> = all()
        .keys()
        .map(|k| (distance(path, k), k.as_str()))
        .collect();
    scored.sort();
    let limit = (path.len() / 2).max(3);
    scored
        .into_iter()
        .filter(|(d, _)| *d <= limit)
        .take(n)
        .map(|(_, k)| k)
        .collect()
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn build(schema: &Value) -> BTreeMap<String, Metric> {
    let record = resolve(schema, &schema["properties"]["backends"]["items"]);
    let mut leaves = Vec::new();
    for (name, prop) in record["properties"]
        .as_object()
        .expect("backend properties")
    {
        walk(schema, prop, name, &mut leaves);
    }
    let mut out = BTreeMap::new();
    for (path, prop, kind) in leaves {
        let worse = match prop.get("x-worse").and_then(Value::as_str) {
            Some("higher") => Some(Worse::Higher),
            Some("lower") => Some(Worse::Lower),
            _ => None,
        };
        let unit = unit_of(&path, kind);
        let mut add = |path: String, scope: Scope, field: &str| {
            let metric = Metric {
                path: path.clone(),
                kind,
                unit,
                worse,
                scope,
                field: field.to_string(),
            };
            out.insert(path, metric);
        };
        if let Some(field) = path.strip_prefix("windows[].") {
            if kind != Kind::Boolean {
                add(format!("windows.max.{field}"), Scope::WindowsMax, field);
                add(format!("windows.min.{field}"), Scope::WindowsMin, field);
            }
            add(path.clone(), Scope::EveryWindow, field);
        } else if path.contains("[]") {
            // Per-SKU and per-sample arrays are not gated on.
        } else if let Some(field) = path.strip_prefix("peak.") {
            add(path.clone(), Scope::Peak, field);
        } else if path.starts_with("worst.") {
            add(path.clone(), Scope::Worst, &path);
        } else {
            add(path.clone(), Scope::Run, &path);
        }
    }
    out
}

/// The unit follows the naming convention of `results/README.md`: a segment
/// ending in `_us` holds microseconds, `_ms` milliseconds; rates and shares
/// are named `*_rate` or `sell_through`.
fn unit_of(path: &str, kind: Kind) -> Unit {
    if kind != Kind::Number {
        return Unit::Plain;
    }
    let segments: Vec<&str> = path.split('.').map(|s| s.trim_end_matches("[]")).collect();
    if segments.iter().any(|s| s.ends_with("_us")) {
        Unit::Microseconds
    } else if segments.iter().any(|s| s.ends_with("_ms")) {
        Unit::Milliseconds
    } else if segments
        .last()
        .is_some_and(|s| s.ends_with("_rate") || *s == "sell_through")
    {
        Unit::Ratio
    } else {
        Unit::Plain
    }
}

fn resolve<'a>(schema: &'a Value, mut node: &'a Value) -> &'a Value {
    while let Some(name) = node
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        node = &schema["$defs"][name];
    }
    node
}

/// The object shape behind a property, looking through `$ref` and a
/// nullable `anyOf`.
fn shape<'a>(schema: &'a Value, node: &'a Value) -> &'a Value {
    let node = resolve(schema, node);
    if let Some(branches) = node.get("anyOf").and_then(Value::as_array) {
        if let Some(object) = branches
            .iter()
            .find(|b| b.get("type").and_then(Value::as_str) != Some("null"))
        {
            return resolve(schema, object);
        }
    }
    node
}

fn kind_of(node: &Value) -> Option<Kind> {
    let types: Vec<&str> = match node.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return None,
    };
    if types.contains(&"integer") {
        Some(Kind::Integer)
    } else if types.contains(&"number") {
        Some(Kind::Number)
    } else if types.contains(&"boolean") {
        Some(Kind::Boolean)
    } else {
        None
    }
}

fn walk<'a>(
    schema: &'a Value,
    prop: &'a Value,
    path: &str,
    out: &mut Vec<(String, &'a Value, Kind)>,
) {
    let node = shape(schema, prop);
    if let Some(items) = node.get("items") {
        let item = shape(schema, items);
        if let Some(props) = item.get("properties").and_then(Value::as_object) {
            for (name, child) in props {
                walk(schema, child, &format!("{path}[].{name}"), out);
            }
        }
        return;
    }
    match node.get("properties").and_then(Value::as_object) {
        Some(props) => {
            for (name, child) in props {
                walk(schema, child, &format!("{path}.{name}"), out);
            }
        }
        None => {
            if let Some(kind) = kind_of(node) {
                out.push((path.to_string(), prop, kind));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_examples_are_metrics_with_their_units_and_directions() {
        let m = get("units.oversold").expect("units.oversold");
        assert_eq!(
            (m.kind, m.unit, m.worse),
            (Kind::Integer, Unit::Plain, Some(Worse::Higher))
        );
        assert_eq!(m.scope, Scope::Run);
        let m = get("peak.latency_us.p99").expect("peak p99");
        assert_eq!(
            (m.unit, m.scope, m.field.as_str()),
            (Unit::Microseconds, Scope::Peak, "latency_us.p99")
        );
        let m = get("windows.max.latency_us.p99").expect("windows.max");
        assert_eq!((m.unit, m.scope), (Unit::Microseconds, Scope::WindowsMax));
        let m = get("worst.latency.latency_us.p99").expect("worst");
        assert_eq!(m.scope, Scope::Worst);
        assert_eq!(get("harness_saturated").unwrap().kind, Kind::Boolean);
        assert_eq!(get("oversell_rate").unwrap().unit, Unit::Ratio);
        assert_eq!(get("duration_ms").unwrap().unit, Unit::Milliseconds);
        assert_eq!(get("throughput_per_s").unwrap().worse, Some(Worse::Lower));
        for absent in [
            "name",
            "latency_us.histogram",
            "skus[].stock",
            "windows.max.faults",
            "units",
        ] {
            assert!(get(absent).is_none(), "{absent} is not a metric");
        }
    }

    #[test]
    fn a_typo_is_close_to_the_intended_path() {
        let near = close_matches("units.oversould", 3);
        assert_eq!(near.first(), Some(&"units.oversold"), "{near:?}");
        let near = close_matches("peak.latency.p99", 3);
        assert!(near.contains(&"peak.latency_us.p99"), "{near:?}");
        assert!(close_matches("zzzzzzzzzzzzzzzzzzzzzzzzz", 3).is_empty());
    }
}
