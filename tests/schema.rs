//! `schema/run.schema.json` against the three things it must agree with: the
//! field tables of `results/README.md`, the `RunSummary` structs, and the
//! `run.json` a real run writes.
//!
//! Path convention shared with the README: a backend record's fields are
//! written relative to the backend (`orders.offered`), everything else from the
//! top (`scenario.seed`); an array adds `[]` (`windows[].start_ms`). A leaf is a
//! field with no declared properties, so free-form objects are leaves; a
//! nullable object is listed itself (to say what null means) and through its
//! fields.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn schema() -> Value {
    let path = root().join("schema/run.schema.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn readme() -> String {
    let path = root().join("results/README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Follows `$ref` (only local `#/$defs/...`) until a schema without one.
fn resolve<'a>(schema: &'a Value, mut node: &'a Value) -> &'a Value {
    while let Some(r) = node.get("$ref").and_then(Value::as_str) {
        let name = r
            .strip_prefix("#/$defs/")
            .unwrap_or_else(|| panic!("only #/$defs/ references are expected, found {r}"));
        node = schema
            .get("$defs")
            .and_then(|d| d.get(name))
            .unwrap_or_else(|| panic!("{r} points at no definition"));
    }
    node
}

/// The shape behind a property: its `$ref` target, or the one non-null branch
/// of an `anyOf`/`oneOf`. The flag says whether null is allowed.
fn shape<'a>(schema: &'a Value, node: &'a Value) -> (&'a Value, bool) {
    let node = resolve(schema, node);
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = node.get(key).and_then(Value::as_array) {
            let is_null = |b: &Value| b.get("type").and_then(Value::as_str) == Some("null");
            let rest: Vec<&Value> = branches.iter().filter(|b| !is_null(b)).collect();
            assert_eq!(rest.len(), 1, "a union must be one shape or null: {node}");
            return (resolve(schema, rest[0]), rest.len() < branches.len());
        }
    }
    let nullable = match node.get("type") {
        Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
        _ => false,
    };
    (node, nullable)
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Adds the documented paths under `prop` (a property's schema, which carries
/// its description and x-worse beside any `$ref`) to `out`.
fn walk(schema: &Value, prop: &Value, path: &str, out: &mut BTreeMap<String, Value>) {
    let (node, nullable) = shape(schema, prop);
    if let Some(items) = node.get("items") {
        let path = format!("{path}[]");
        let (item, _) = shape(schema, items);
        match item.get("properties").and_then(Value::as_object) {
            Some(props) => {
                for (name, child) in props {
                    walk(schema, child, &join(&path, name), out);
                }
            }
            None => {
                out.insert(path, prop.clone());
            }
        }
        return;
    }
    match node.get("properties").and_then(Value::as_object) {
        Some(props) => {
            if nullable {
                out.insert(path.to_string(), prop.clone());
            }
            for (name, child) in props {
                walk(schema, child, &join(path, name), out);
            }
        }
        None => {
            out.insert(path.to_string(), prop.clone());
        }
    }
}

/// Documented paths of the schema: top-level ones, then the backend record's
/// (relative). Values are the property schemas, for their annotations.
fn schema_paths(schema: &Value) -> (BTreeMap<String, Value>, BTreeMap<String, Value>) {
    let props = schema["properties"]
        .as_object()
        .expect("the schema's top level has properties");
    let mut top = BTreeMap::new();
    let mut backend = BTreeMap::new();
    for (name, child) in props {
        if name == "backends" {
            let (record, _) = shape(schema, &child["items"]);
            let fields = record["properties"]
                .as_object()
                .expect("a backend record has properties");
            for (field, prop) in fields {
                walk(schema, prop, field, &mut backend);
            }
        } else {
            walk(schema, child, name, &mut top);
        }
    }
    (top, backend)
}

/// Rows of README tables whose first cell is one backticked path, with the
/// row's last cell (the worse column).
fn readme_rows(text: &str) -> (BTreeMap<String, String>, Vec<String>) {
    let mut rows = BTreeMap::new();
    let mut duplicates = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if !line.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let first = cells[0];
        let path = match first
            .strip_prefix('`')
            .and_then(|s| s.strip_suffix('`'))
            .filter(|s| !s.is_empty() && !s.contains('`'))
        {
            Some(p) => p,
            None => continue,
        };
        let worse = cells.last().copied().unwrap_or("").to_string();
        if rows.insert(path.to_string(), worse).is_some() {
            duplicates.push(path.to_string());
        }
    }
    (rows, duplicates)
}

fn describe_difference(
    name_a: &str,
    a: &BTreeSet<String>,
    name_b: &str,
    b: &BTreeSet<String>,
) -> String {
    let only_a: Vec<&String> = a.difference(b).collect();
    let only_b: Vec<&String> = b.difference(a).collect();
    let mut msg = String::new();
    if !only_a.is_empty() {
        msg.push_str(&format!("\nin {name_a} but missing from {name_b}:\n"));
        for p in only_a {
            msg.push_str(&format!("  {p}\n"));
        }
    }
    if !only_b.is_empty() {
        msg.push_str(&format!("\nin {name_b} but missing from {name_a}:\n"));
        for p in only_b {
            msg.push_str(&format!("  {p}\n"));
        }
    }
    msg
}

#[test]
fn schema_and_readme_list_the_same_paths() {
    let schema = schema();
    let (top, backend) = schema_paths(&schema);
    let clash: Vec<&String> = top.keys().filter(|p| backend.contains_key(*p)).collect();
    assert!(
        clash.is_empty(),
        "top-level and backend paths must not share a name, or the README cannot tell them apart: {clash:?}"
    );
    let in_schema: BTreeSet<String> = top.keys().chain(backend.keys()).cloned().collect();

    let (rows, duplicates) = readme_rows(&readme());
    assert!(
        duplicates.is_empty(),
        "results/README.md documents these paths twice: {duplicates:?}"
    );
    let in_readme: BTreeSet<String> = rows.keys().cloned().collect();

    let diff = describe_difference("the schema", &in_schema, "results/README.md", &in_readme);
    assert!(
        diff.is_empty(),
        "schema and README disagree on paths:{diff}"
    );
}

#[test]
fn schema_and_readme_agree_on_the_worse_direction() {
    let schema = schema();
    let (top, backend) = schema_paths(&schema);
    let (rows, _) = readme_rows(&readme());
    let mut wrong = Vec::new();
    for (path, prop) in top.iter().chain(backend.iter()) {
        let Some(cell) = rows.get(path) else { continue };
        let in_schema = prop.get("x-worse").and_then(Value::as_str).unwrap_or("—");
        if cell != in_schema {
            wrong.push(format!(
                "  {path}: schema says {in_schema}, README says {cell}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "worse direction differs:\n{}",
        wrong.join("\n")
    );
}

/// Every `properties` map anywhere in the schema, with the JSON pointer of each entry.
fn all_properties<'a>(node: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
    match node {
        Value::Object(map) => {
            for (key, child) in map {
                let here = format!("{at}/{key}");
                if key == "properties" {
                    if let Some(props) = child.as_object() {
                        for (name, prop) in props {
                            out.push((format!("{here}/{name}"), prop));
                        }
                    }
                }
                all_properties(child, here, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                all_properties(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_metric_has_a_description() {
    let schema = schema();
    let mut props = Vec::new();
    all_properties(&schema, "#".to_string(), &mut props);
    assert!(
        props.len() > 50,
        "the schema looks empty: {} properties",
        props.len()
    );
    let mut problems = Vec::new();
    for (pointer, prop) in props {
        match prop.get("description").and_then(Value::as_str) {
            Some(d) if !d.trim().is_empty() => {}
            _ => problems.push(format!("  {pointer}: no description")),
        }
        if let Some(w) = prop.get("x-worse") {
            if w != "higher" && w != "lower" {
                problems.push(format!(
                    "  {pointer}: x-worse must be \"higher\" or \"lower\", is {w}"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "schema properties need work:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_object_is_closed_and_requires_all_its_properties() {
    let schema = schema();
    let mut problems = Vec::new();
    check_objects(&schema, "#".to_string(), &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn check_objects(node: &Value, at: String, problems: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if let Some(props) = map.get("properties").and_then(Value::as_object) {
                if map.get("additionalProperties") != Some(&Value::Bool(false)) {
                    problems.push(format!("  {at}: additionalProperties must be false"));
                }
                let required: BTreeSet<&str> = map
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let declared: BTreeSet<&str> = props.keys().map(String::as_str).collect();
                if required != declared {
                    problems.push(format!(
                        "  {at}: required {required:?} differs from properties {declared:?}"
                    ));
                }
            }
            for (key, child) in map {
                check_objects(child, format!("{at}/{key}"), problems);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                check_objects(child, format!("{at}/{i}"), problems);
            }
        }
        _ => {}
    }
}

#[test]
fn schema_version_matches_the_code() {
    let schema = schema();
    assert_eq!(
        schema["properties"]["schema_version"]["const"],
        Value::from(atpsim::summary::SCHEMA_VERSION),
        "bump schema_version in schema/run.schema.json together with summary::SCHEMA_VERSION"
    );
}

fn validation_errors(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema)
        .unwrap_or_else(|e| panic!("schema/run.schema.json is not a valid schema: {e}"));
    validator
        .iter_errors(instance)
        .map(|e| format!("  at {:?}: {e}", e.instance_path.as_str()))
        .collect()
}

/// A summary built from the structs themselves, so the schema is held to
/// summary.rs even before any run writes a file.
fn built_summary() -> atpsim::summary::RunSummary {
    use atpsim::summary::*;
    let window = Window {
        index: 3,
        start_ms: 300.0,
        window_ms: 100.0,
        orders: WindowOrders {
            offered: 120,
            granted: 100,
            ..Default::default()
        },
        units: WindowUnits {
            granted: 100,
            oversold_at_grant: 2,
        },
        latency_us: WindowLatency {
            p50: 1.5,
            p90: 2.0,
            p99: 3.25,
            p999: 4.0,
            max: 9.0,
        },
        holds_live: 0,
        faults: vec!["latency-spike".to_string()],
    };
    let backend = BackendSummary {
        name: "memory-atomic".to_string(),
        store: "memory".to_string(),
        strategy: "atomic".to_string(),
        options: serde_json::json!({}),
        aborted: false,
        abort_reason: None,
        cut_short: false,
        first_error: None,
        orders: Orders {
            offered: 1000,
            granted: 900,
            ..Default::default()
        },
        units: Units {
            stock: 900,
            granted: 900,
            ..Default::default()
        },
        unknowns: Unknowns::default(),
        oversell_rate: 0.0,
        sell_through: 1.0,
        throughput_per_s: 450.5,
        duration_ms: 2000.0,
        latency_us: Latency {
            p50: 1.0,
            p90: 2.0,
            p99: 3.0,
            p999: 4.0,
            max: 5.0,
            histogram: "HISTFAAAAA==".to_string(),
        },
        service_us: Spread {
            p50: 1.0,
            p99: 2.0,
            max: 3.0,
        },
        wait_us: Spread::default(),
        dispatch_lag_us: Spread::default(),
        co_safe: true,
        harness_saturated: false,
        peak: Peak {
            flat: false,
            window: window.clone(),
        },
        worst: Worst {
            latency: Some(window.clone()),
            oversell: None,
        },
        windows: vec![window.clone()],
        skus: vec![SkuSummary {
            id: "sku-0".to_string(),
            stock: 10,
            buffer: 0,
            offered: 50,
            demand_units: 60,
            granted: 10,
            oversold: 0,
            undersold: 0,
            windows: vec![window],
        }],
        oversell_samples: vec![OversellSample {
            order_id: 7,
            sku: "sku-0".to_string(),
            qty: 1,
            intended_ms: 12.5,
            acknowledged_ms: 13.0,
        }],
        holds: Some(atpsim::summary::Holds {
            created: 10,
            confirmed: 6,
            reacquired: 1,
            expired: 3,
            cancelled: 1,
            confirm_refused: 1,
            confirmed_after_expiry: 0,
            double_releases: 0,
            unknown: 0,
            live_at_end: 2,
            leaked: 0,
            refunded: 1,
            stranded_unit_seconds: 1.5,
            conservation_failures: 0,
        }),
        batches: Some(atpsim::summary::Batches {
            count: 3,
            orders: 10,
            size_mean: 3.3,
            size_p50: 3,
            size_p99: 4,
            size_max: 4,
        }),
    };
    RunSummary {
        schema_version: SCHEMA_VERSION,
        run_id: "20240101T000000Z-1".to_string(),
        started_at: "2024-01-01T00:00:00Z".to_string(),
        tool: Tool {
            name: "atpsim".to_string(),
            version: "0.1.0".to_string(),
            git_commit: "unknown".to_string(),
        },
        environment: Environment {
            os: "linux".to_string(),
            arch: "x86_64".to_string(),
            cpu_count: 2,
            backends: serde_json::from_value(
                serde_json::json!({"memory-atomic": {"version": "builtin"}}),
            )
            .unwrap(),
        },
        scenario: ScenarioInfo {
            name: "flash".to_string(),
            file: "scenarios/flash.toml".to_string(),
            seed: 42,
            schedule_hash: "0123abcd".to_string(),
            generator_version: 1,
            effective: serde_json::value::RawValue::from_string(r#"{"name": "flash"}"#.into())
                .unwrap(),
        },
        interrupted: false,
        thresholds: vec![],
        repeats: vec![],
        backends: vec![backend],
    }
}

#[test]
fn a_serialised_summary_matches_the_schema() {
    let schema = schema();
    let instance = serde_json::to_value(built_summary()).unwrap();
    let errors = validation_errors(&schema, &instance);
    assert!(
        errors.is_empty(),
        "a RunSummary fails the schema:\n{}",
        errors.join("\n")
    );

    // The schema must also refuse what it promises to refuse.
    let mut extra = instance.clone();
    extra["backends"][0]["peak"]["surprise"] = Value::from(1);
    assert!(
        !validation_errors(&schema, &extra).is_empty(),
        "an unknown field in peak was accepted"
    );
    let mut missing = instance;
    missing["backends"][0]["units"]
        .as_object_mut()
        .unwrap()
        .remove("oversold");
    assert!(
        !validation_errors(&schema, &missing).is_empty(),
        "a missing units.oversold was accepted"
    );
}

fn find_run_json(dir: &Path, found: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            find_run_json(&path, found);
        } else if path.file_name().is_some_and(|n| n == "run.json") {
            found.push(path);
        }
    }
}

/// Run `scenario` with the real binary and validate its run.json.
fn real_run_json_of(scenario: &str) -> Value {
    let out = tempfile::tempdir().unwrap();
    let output = assert_cmd::Command::cargo_bin("atpsim")
        .unwrap()
        .current_dir(root())
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out.path())
        .arg("--quiet")
        .output()
        .unwrap();
    // 0: no threshold failed; 1: a threshold failed. Both write results.
    assert!(
        matches!(output.status.code(), Some(0) | Some(1)),
        "atpsim run exited with {:?}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );

    let mut found = Vec::new();
    find_run_json(out.path(), &mut found);
    assert_eq!(
        found.len(),
        1,
        "expected exactly one run.json under the out dir, found {found:?}"
    );
    let text = std::fs::read_to_string(&found[0]).unwrap();
    let instance: Value = serde_json::from_str(&text).expect("run.json is not JSON");

    let errors = validation_errors(&schema(), &instance);
    assert!(
        errors.is_empty(),
        "{} fails schema/run.schema.json:\n{}",
        found[0].display(),
        errors.join("\n")
    );

    let summary: atpsim::summary::RunSummary =
        serde_json::from_str(&text).expect("run.json does not deserialize into RunSummary");
    assert_eq!(summary.schema_version, atpsim::summary::SCHEMA_VERSION);
    instance
}

#[test]
fn real_run_json_matches_the_schema() {
    let run = real_run_json_of("scenarios/flash.toml");
    assert!(
        run["backends"][0]["holds"].is_null(),
        "a plain run has no holds"
    );
}

#[test]
fn a_run_json_with_faults_matches_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("faulty.toml");
    std::fs::write(
        &scenario,
        "name = \"faulty\"\nseed = 1\n[[sku]]\nid = \"A\"\nstock = 100\n\
         [[phase]]\nkind = \"constant\"\nrate = 200\nduration = \"500ms\"\n\
         [[backend]]\nkind = \"memory-atomic\"\n\
         [[fault]]\nkind = \"latency\"\nat = \"200ms\"\nduration = \"100ms\"\nlatency = \"1ms\"\n",
    )
    .unwrap();
    let run = real_run_json_of(scenario.to_str().unwrap());
    assert_eq!(
        run["scenario"]["effective"]["faults"][0]["name"],
        "latency@200ms"
    );
    let marked: Vec<&Value> = run["backends"][0]["windows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["faults"] == serde_json::json!(["latency@200ms"]))
        .collect();
    assert_eq!(marked.len(), 1, "window 2 of 100 ms alone");
}

#[test]
fn a_checkout_run_json_matches_the_schema() {
    let run = real_run_json_of("scenarios/checkout.toml");
    for backend in run["backends"].as_array().unwrap() {
        assert!(
            backend["holds"]["created"].as_u64().unwrap() > 0,
            "{backend}"
        );
    }
}
