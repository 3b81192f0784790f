//! Scenario files: TOML in, a validated `Scenario` out, or one `ScenarioError` naming file, line, column and key.

mod checkout;
mod duration;
mod error;
mod faults;
mod model;
pub mod raw;
#[cfg(test)]
mod readme_limits;
pub mod validate;

pub use checkout::*;
pub use duration::parse_duration;
pub use error::ScenarioError;
pub use faults::*;
pub use model::*;
pub use validate::expected_orders;

use error::Locator;
use std::path::Path;

/// Reads and validates the scenario file at `path`.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let bytes = std::fs::read(path).map_err(|e| ScenarioError {
        file: path.to_path_buf(),
        line: 1,
        column: 1,
        key: "(file)".into(),
        message: format!(
            "cannot read the scenario file: {}; check the path and its permissions",
            lower_first(&e.to_string())
        ),
    })?;
    let text = decode(bytes, path)?;
    parse(&text, path)
}

/// The file's bytes as text; a byte sequence that is not UTF-8 is reported
/// at its line and column.
fn decode(bytes: Vec<u8>, path: &Path) -> Result<String, ScenarioError> {
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let valid = std::str::from_utf8(&e.as_bytes()[..offset]).expect("valid up to here");
        let (line, column) = error::line_column(valid, offset);
        ScenarioError {
            file: path.to_path_buf(),
            line,
            column,
            key: "(file)".into(),
            message: format!(
                "the scenario file is not valid UTF-8: byte {offset} (0x{:02x}) starts an invalid sequence; TOML files are UTF-8, so save it as UTF-8",
                e.as_bytes()[offset]
            ),
        }
    })
}

/// Validates scenario `text`; `path` is used in errors and as `Scenario::source`.
pub fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let loc = Locator { text, file: path };
    // One parse into the raw structs; only when it fails is the text parsed
    // again, into nothing, to tell syntax errors from errors of structure
    // (unknown keys, wrong types). A first parse into a `toml::Table` would
    // parse every file twice and, for a large catalogue, hold a table copy
    // of it next to the parser's document.
    let raw: raw::RawScenario =
        toml::from_str(text).map_err(|e| match toml::from_str::<serde::de::IgnoredAny>(text) {
            Err(syntax) => loc.toml(&syntax, true),
            Ok(_) => loc.toml(&e, false),
        })?;
    validate::validate(raw, text, path)
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_scenario_parses() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("scenarios/ exists") {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                if let Err(e) = load(&path) {
                    panic!("{e}");
                }
                seen += 1;
            }
        }
        assert!(seen > 0, "no scenarios in {}", dir.display());
    }

    #[test]
    fn flash_is_the_documented_demo() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/flash.toml");
        let s = load(&path).unwrap();
        assert_eq!(s.name, "flash");
        assert_eq!(s.skus.len(), 50);
        assert_eq!((s.skus[0].id.as_str(), s.skus[0].stock), ("HOT", 100));
        assert_eq!((s.skus[49].id.as_str(), s.skus[49].stock), ("SKU-49", 40));
        let names: Vec<&str> = s.phases.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["warm-up", "doors-open", "stampede"]);
        // Multi-unit orders never hit the hot SKU.
        for p in &s.phases {
            let multi = !matches!(p.quantity, Quantity::Fixed { units: 1 });
            let hits_hot = match &p.skus {
                SkuPick::One { sku } => *sku == 0,
                SkuPick::Weights { weights } => weights.iter().any(|&(i, w)| i == 0 && w > 0),
                SkuPick::Uniform | SkuPick::Zipf { .. } => true,
            };
            assert!(
                !(multi && hits_hot),
                "{} sends multi-unit orders to HOT",
                p.name
            );
        }
        let total: f64 = s
            .phases
            .iter()
            .filter_map(|p| expected_orders(&p.shape))
            .sum();
        assert_eq!(total, 2800.0);
        // The demo needs no server: every embedded kind, and only those.
        let kinds: Vec<BackendKind> = s.backends.iter().map(|b| b.kind).collect();
        let embedded: Vec<BackendKind> = BackendKind::ALL
            .into_iter()
            .filter(|k| k.server().is_none())
            .collect();
        assert_eq!(kinds, embedded);
    }

    #[test]
    fn documented_examples_parse() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/README.md");
        let readme = std::fs::read_to_string(&path).unwrap();
        let mut full = 0;
        for block in readme.split("```toml\n").skip(1) {
            let block = block.split("```").next().unwrap();
            if block.contains("[[backend]]") {
                if let Err(e) = parse(block, &path) {
                    panic!("{e}\n{block}");
                }
                full += 1;
            }
        }
        assert!(full > 0, "README.md has a complete example");
    }

    #[test]
    fn unreadable_file_names_the_file() {
        let e = load(Path::new("/nonexistent/x.toml")).unwrap_err();
        assert_eq!(e.file, Path::new("/nonexistent/x.toml"));
        assert!(
            e.to_string().starts_with("/nonexistent/x.toml:1:1: "),
            "{e}"
        );
        assert!(e.message.contains("cannot read"), "{e}");
    }
}
