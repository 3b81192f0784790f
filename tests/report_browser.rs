//! `report.html` of the flash demo, alone and drawn twice together as
//! `atpsim report` does for several runs, in headless Chromium at 1366×768: no
//! console error, no request leaving the file, no horizontal scroll, every
//! chart image loaded, and printed to A4 within the page count it states.
//! The screenshots and PDFs are kept under `target/tmp/report-browser/`.
//!
//! Needs node, `tests/browser/node_modules/playwright-core` and a Chromium
//! (`.ci/run` installs them): skipped with the reason when missing, failed
//! when missing under `CI=true`.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Pages in a PDF: page objects, not the page tree (`/Type /Pages`).
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/Type /Page")
        .filter(|(i, m)| !text[i + m.len()..].starts_with('s'))
        .count()
}

#[test]
fn the_flash_report_renders_cleanly_in_chromium() {
    let Some(node) = common::require(common::program(&["node"]), "node") else {
        return;
    };
    let driver = repo("tests/browser/node_modules/playwright-core");
    let Some(_) = common::require(
        driver.is_dir().then_some(()),
        "playwright-core (npm install in tests/browser)",
    ) else {
        return;
    };
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .or_else(|| common::on_path(&["chromium", "chromium-browser", "google-chrome"]));
    let Some(chromium) = common::require(chromium, "chromium") else {
        return;
    };

    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-browser");
    let _ = std::fs::remove_dir_all(&out);
    Command::cargo_bin("atpsim")
        .unwrap()
        .arg("run")
        .arg(repo("scenarios/flash.toml"))
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .assert()
        .code(0);
    check_in_browser(&node, &chromium, &out, "report.html", 4);

    // Two runs drawn together: twice the rows and longer labels.
    let both = out.join("compare");
    Command::cargo_bin("atpsim")
        .unwrap()
        .arg("report")
        .arg(out.join("run.json"))
        .arg(out.join("run.json"))
        .arg("--out")
        .arg(&both)
        .assert()
        .code(0);
    check_in_browser(&node, &chromium, &both, "report.html", 4);
}

/// Open `dir/page` in Chromium and check what it found; `charts` images expected.
fn check_in_browser(node: &str, chromium: &Path, dir: &Path, page: &str, charts: usize) {
    let out = dir;
    let report = out.join(page);
    let result = std::process::Command::new(node)
        .arg(repo("tests/browser/check_report.mjs"))
        .arg(chromium)
        .arg(&report)
        .arg(out)
        .output()
        .expect("node runs");
    assert!(
        result.status.success(),
        "the browser check failed: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    let stdout = String::from_utf8_lossy(&result.stdout);
    let found: Value = serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("no findings from the browser check ({e}): {stdout}"));
    eprintln!("browser check of {}: {found}", report.display());

    assert_eq!(
        found["consoleErrors"],
        Value::Array(vec![]),
        "console errors"
    );
    assert_eq!(
        found["external"],
        Value::Array(vec![]),
        "requests leaving the file"
    );
    let (scroll, client) = (found["scrollWidth"].as_u64(), found["clientWidth"].as_u64());
    assert!(
        scroll <= client,
        "horizontal scroll at 1366: {scroll:?} > {client:?}"
    );
    let images = found["images"].as_array().expect("images");
    assert_eq!(images.len(), charts, "one image per chart");
    for img in images {
        assert!(
            img["naturalWidth"].as_u64() > Some(0),
            "an image did not load: {img}"
        );
    }
    assert!(out.join("report-1366.png").metadata().unwrap().len() > 0);
    let pages = pdf_pages(&std::fs::read(out.join("report.pdf")).unwrap());
    let limit = found["pageLimit"].as_u64().unwrap() as usize;
    assert!(
        pages >= 1 && pages <= limit,
        "{pages} printed pages, the report promises at most {limit}"
    );
    eprintln!(
        "printed: {pages} pages of at most {limit}; screenshot and PDF in {}",
        out.display()
    );
}
