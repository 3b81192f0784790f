//! The review outputs on the real binary: the files a run writes (charts as
//! SVG and PNG, `report.html`), that they parse, that the page references
//! nothing outside itself and that its reading quotes `run.json`; and
//! `atpsim report` redrawing them from saved runs, one or several.

use assert_cmd::Command;
use atpsim::report::reading::Format;
use serde_json::Value;
use std::path::{Path, PathBuf};

const CHARTS: [&str; 4] = [
    "latency-percentiles",
    "latency-over-time",
    "hot-sku-promised",
    "comparison",
];

/// A burst on one hot SKU after a quiet start, so there is a peak window,
/// with a backend that oversells and one that does not.
const BURST: &str = r#"
name = "burst"
seed = 11
window = "50ms"
min_window_orders = 10
concurrency = 32
[[sku]]
id = "HOT-1"
stock = 40
[[sku]]
id = "TAIL-1"
stock = 1000
[[phase]]
name = "warm"
kind = "spread"
orders = 40
over = "200ms"
skus = { pick = "one", sku = "TAIL-1" }
[[phase]]
name = "burst"
kind = "instant"
at = "250ms"
orders = 300
skus = { pick = "one", sku = "HOT-1" }
quantity = { min = 1, max = 3 }
[[backend]]
kind = "memory-naive"
rtt = "1ms"
[[backend]]
kind = "memory-atomic"
"#;

fn atpsim() -> Command {
    Command::cargo_bin("atpsim").expect("binary built")
}

/// Run the burst scenario into `out` with `extra` arguments.
fn run_burst(dir: &Path, out: &Path, extra: &[&str]) {
    let scenario = dir.join("burst.toml");
    std::fs::write(&scenario, BURST).unwrap();
    atpsim()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .assert()
        .code(0);
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn assert_charts_parse(dir: &Path) {
    for stem in CHARTS {
        let svg = read(&dir.join(format!("{stem}.svg")));
        let doc = roxmltree::Document::parse(&svg)
            .unwrap_or_else(|e| panic!("{stem}.svg is not XML: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg", "{stem}.svg");
        let png = std::fs::File::open(dir.join(format!("{stem}.png"))).unwrap();
        let mut reader = png::Decoder::new(png)
            .read_info()
            .unwrap_or_else(|e| panic!("{stem}.png does not decode: {e}"));
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert!(
            info.width >= 600 && info.height >= 200,
            "{stem}.png is {info:?}"
        );
        // A blank canvas would be one colour: something was drawn.
        let first = &pixels[..3];
        assert!(
            pixels.chunks(3).any(|p| p != first),
            "{stem}.png is a single colour"
        );
    }
}

/// The page must not load anything: no scripts, stylesheets, frames or
/// remote images; every `src` is inline data.
fn assert_self_contained(html: &str) {
    let lower = html.to_lowercase();
    for banned in [
        "<script", "<link", "<iframe", "@import", "url(", "http://", "https://",
    ] {
        assert!(!lower.contains(banned), "report.html contains {banned}");
    }
    for (i, _) in lower.match_indices("src=\"") {
        let value = &lower[i + 5..];
        assert!(
            value.starts_with("data:image/png;base64,"),
            "external src at {i}"
        );
    }
}

/// Every figure of the reading, as (run, pointer, format, text).
fn figures(html: &str) -> Vec<(usize, String, String, String)> {
    let attr = |tag: &str, name: &str| -> String {
        let key = format!("{name}=\"");
        let start = tag.find(&key).unwrap_or_else(|| panic!("{name} in {tag}")) + key.len();
        tag[start..start + tag[start..].find('"').unwrap()].to_string()
    };
    html.split("<b data-run=")
        .skip(1)
        .map(|rest| {
            let tag = format!("data-run={}", &rest[..rest.find('>').unwrap()]);
            let text = &rest[rest.find('>').unwrap() + 1..rest.find("</b>").unwrap()];
            let run = attr(&tag, "data-run").parse().unwrap();
            let pointer = attr(&tag, "data-json");
            (run, pointer, attr(&tag, "data-format"), text.to_string())
        })
        .collect()
}

fn format_named(name: &str) -> Format {
    [Format::Int, Format::Ms, Format::Us, Format::Percent]
        .into_iter()
        .find(|f| f.name() == name)
        .unwrap_or_else(|| panic!("unknown format {name}"))
}

/// The reading's numbers are run.json's numbers, one by one.
fn assert_reading_quotes(html: &str, runs: &[Value]) {
    let figs = figures(html);
    assert!(figs.len() >= 8 * runs.len(), "too few figures: {figs:?}");
    for (run, pointer, format, text) in figs {
        let value = runs[run]
            .pointer(&pointer)
            .unwrap_or_else(|| panic!("{pointer} is not in run.json"));
        assert_eq!(text, format_named(&format).write(value), "{pointer}");
        if format == "int" {
            assert_eq!(text.parse::<u64>().ok(), value.as_u64(), "{pointer}");
        }
    }
}

#[test]
fn a_run_writes_charts_and_a_self_contained_report_that_quotes_run_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_burst(dir.path(), &out, &[]);
    let run: Value = serde_json::from_str(&read(&out.join("run.json"))).unwrap();
    assert_charts_parse(&out);
    let html = read(&out.join("report.html"));
    assert_self_contained(&html);
    assert_eq!(html.matches("<img ").count(), CHARTS.len());
    assert_reading_quotes(&html, std::slice::from_ref(&run));
    // The reading says what the naive backend promised of the hot SKU.
    let naive = &run["backends"][0];
    let hot = &naive["skus"][0];
    assert_eq!(hot["id"], "HOT-1");
    let granted = hot["granted"].as_u64().unwrap();
    assert!(
        granted > 40,
        "memory-naive should oversell here, granted {granted}"
    );
    assert!(html.contains(&format!(
        "memory-naive promised <b data-run=\"0\" data-json=\"/backends/0/skus/0/granted\" data-format=\"int\">{granted}</b> units of HOT-1"
    )));
    // The hot SKU's windows add up to what the ledger says it granted.
    let summed: u64 = hot["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["units"]["granted"].as_u64().unwrap())
        .sum();
    assert_eq!(summed, granted);
}

#[test]
fn no_charts_writes_the_report_without_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_burst(dir.path(), &out, &["--no-charts"]);
    for stem in CHARTS {
        assert!(!out.join(format!("{stem}.svg")).exists(), "{stem}.svg");
        assert!(!out.join(format!("{stem}.png")).exists(), "{stem}.png");
    }
    let html = read(&out.join("report.html"));
    assert!(!html.contains("<img "));
    assert!(html.contains("--no-charts"));
}

#[test]
fn report_redraws_a_saved_run_and_draws_several_together() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run_burst(dir.path(), &a, &["--no-charts"]);
    run_burst(dir.path(), &b, &[]);
    std::fs::remove_file(b.join("report.html")).unwrap();
    atpsim()
        .arg("report")
        .arg(a.join("run.json"))
        .assert()
        .code(0);
    assert_charts_parse(&a);
    let run_a: Value = serde_json::from_str(&read(&a.join("run.json"))).unwrap();
    assert_reading_quotes(&read(&a.join("report.html")), std::slice::from_ref(&run_a));

    let both = dir.path().join("both");
    atpsim()
        .arg("report")
        .arg(a.join("run.json"))
        .arg(b.join("run.json"))
        .arg("--out")
        .arg(&both)
        .assert()
        .code(0);
    assert_charts_parse(&both);
    let run_b: Value = serde_json::from_str(&read(&b.join("run.json"))).unwrap();
    let html = read(&both.join("report.html"));
    assert_self_contained(&html);
    assert_reading_quotes(&html, &[run_a.clone(), run_b.clone()]);
    for run in [&run_a, &run_b] {
        assert!(html.contains(run["run_id"].as_str().unwrap()));
    }
    assert!(html.contains("memory-naive (run 1)") && html.contains("memory-atomic (run 2)"));
    assert!(html.contains("share one schedule hash"));
    assert!(
        !b.join("report.html").exists(),
        "report wrote only into --out"
    );
}

#[test]
fn report_refuses_a_file_that_is_not_a_run_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("run.json");
    std::fs::write(&bad, "{\n  \"schema_version\": 1,\n  \"run_id\": 5\n}\n").unwrap();
    let assert = atpsim().arg("report").arg(&bad).assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains(&format!("{}:3:", bad.display())),
        "no file:line in {stderr}"
    );
    assert!(!dir.path().join("report.html").exists());
    let missing: PathBuf = dir.path().join("nope.json");
    let assert = atpsim().arg("report").arg(&missing).assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("nope.json") && stderr.contains("cannot read"),
        "{stderr}"
    );
}

#[test]
fn the_isolation_heat_map_is_drawn_only_for_runs_with_levels() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_burst(dir.path(), &out, &["--no-charts"]);
    atpsim()
        .arg("report")
        .arg(out.join("run.json"))
        .assert()
        .code(0);
    assert!(
        !out.join("isolation-matrix.svg").exists(),
        "no levels, no matrix"
    );

    // The same figures, as if they came from two SQL backends, one at a named level.
    let mut run: Value = serde_json::from_str(&read(&out.join("run.json"))).unwrap();
    for (i, store) in ["postgres", "mysql"].into_iter().enumerate() {
        let b = &mut run["backends"][i];
        b["store"] = store.into();
        b["strategy"] = "tx".into();
        b["options"] = serde_json::json!({ "isolation": "serializable" });
    }
    let saved = dir.path().join("levels.json");
    std::fs::write(&saved, serde_json::to_string(&run).unwrap()).unwrap();
    let drawn = dir.path().join("drawn");
    atpsim()
        .arg("report")
        .arg(&saved)
        .arg("--out")
        .arg(&drawn)
        .assert()
        .code(0);
    let svg = read(&drawn.join("isolation-matrix.svg"));
    roxmltree::Document::parse(&svg).expect("isolation-matrix.svg is XML");
    let oversold = run["backends"][0]["units"]["oversold"].as_u64().unwrap();
    assert!(
        svg.contains(&format!("oversold {oversold}")),
        "cell text in the SVG"
    );
    let html = read(&drawn.join("report.html"));
    assert!(html.contains("<h2>Isolation matrix</h2>") && html.contains("id=\"isolation-matrix\""));
}

#[test]
fn threshold_verdicts_show_when_the_run_has_them_and_older_windows_still_load() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_burst(dir.path(), &out, &["--no-charts"]);
    let html = read(&out.join("report.html"));
    assert!(
        !html.contains("Threshold verdicts"),
        "no thresholds, no section"
    );

    // A real gate: the naive backend fails it, and the page says so with
    // the figure run.json measured.
    let gated = dir.path().join("gated");
    let scenario = dir.path().join("burst.toml");
    let status = atpsim()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&gated)
        .arg("--quiet")
        .arg("--no-charts")
        .arg("--threshold")
        .arg("units.oversold == 0")
        .output()
        .unwrap();
    assert_eq!(
        status.status.code(),
        Some(1),
        "the naive backend fails the gate"
    );
    let mut run: Value = serde_json::from_str(&read(&gated.join("run.json"))).unwrap();
    let failed = run["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["passed"] == false)
        .expect("a failing verdict")
        .clone();
    let html = read(&gated.join("report.html"));
    assert!(html.contains("<h2>Threshold verdicts</h2>"));
    let row = format!(
        "<td class=\"bad\">FAIL</td><td>{}</td><td><code>units.oversold == 0</code></td><td>{}</td>",
        failed["backend"].as_str().unwrap(),
        // A count: Rust writes 442.0 as 442, as the page does.
        failed["measured"].as_f64().unwrap()
    );
    assert!(html.contains(&row), "no row {row}");
    // A run saved before windows counted granted units.
    for w in run["backends"][0]["windows"].as_array_mut().unwrap() {
        w["units"].as_object_mut().unwrap().remove("granted");
    }
    let saved = dir.path().join("gated.json");
    std::fs::write(&saved, serde_json::to_string(&run).unwrap()).unwrap();
    let drawn = dir.path().join("drawn");
    atpsim()
        .arg("report")
        .arg(&saved)
        .arg("--out")
        .arg(&drawn)
        .assert()
        .code(0);
    let html = read(&drawn.join("report.html"));
    assert!(html.contains(&row), "redrawn: no row {row}");
}

#[test]
fn a_staged_fault_is_marked_in_the_chart_the_page_and_windows_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let scenario = dir.path().join("faulty.toml");
    let fault = "\n[[fault]]\nname = \"slow-store\"\nkind = \"latency\"\nat = \"100ms\"\nduration = \"50ms\"\nlatency = \"2ms\"\n";
    std::fs::write(&scenario, format!("{BURST}{fault}")).unwrap();
    let assert = atpsim()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .assert()
        .code(0);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(
        stdout.contains("\nfaults (orders due in the windows each was active in)\n"),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("memory-atomic")
            && l.contains("slow-store")
            && l.contains("100–150 ms")),
        "{stdout}"
    );
    let run: Value = serde_json::from_str(&read(&out.join("run.json"))).unwrap();
    // Windows of 50 ms: [100 ms, 150 ms) is window 2 alone.
    for b in run["backends"].as_array().unwrap() {
        let marked: Vec<u64> = b["windows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["faults"] == serde_json::json!(["slow-store"]))
            .map(|w| w["index"].as_u64().unwrap())
            .collect();
        assert_eq!(marked, [2], "{}", b["name"]);
    }
    let svg = read(&out.join("latency-over-time.svg"));
    assert!(
        svg.contains("fault: slow-store"),
        "the legend names the fault"
    );
    let html = read(&out.join("report.html"));
    assert_self_contained(&html);
    assert!(html.contains("<h2>Faults</h2>"));
    assert!(html.contains("<td>memory-atomic</td><td>slow-store</td><td>100–150 (1 window)</td>"));
    let summary = read(&out.join("summary.md"));
    assert!(
        summary.contains("\n## Faults\n")
            && summary.contains("| memory-atomic | slow-store | 100–150 ms |"),
        "{summary}"
    );
    let csv = read(&out.join("windows.csv"));
    assert!(csv.lines().next().unwrap().ends_with(",is_peak,faults"));
    let faulted: Vec<&str> = csv.lines().filter(|l| l.ends_with(",slow-store")).collect();
    assert_eq!(faulted.len(), 2, "one window per backend: {csv}");
}
