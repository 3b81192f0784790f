//! `[[threshold]]` tables.

use super::*;

fn with(thresholds: &str) -> String {
    format!("{}{thresholds}", doc(HEAD, PHASE, BACKEND))
}

#[test]
fn tables_default_to_every_backend_and_one_percent() {
    let text = with("\n[[threshold]]\nchecks = [\"units.oversold == 0\", \"peak.latency_us.p99 < 50ms\"]\n\n[[threshold]]\nbackends = \"memory-*\"\nchecks = [\"units.undersold <= 5\"]\nmax_failed = \"2.5%\"\n");
    let s = parse(&text, Path::new("s.toml")).unwrap();
    assert_eq!(s.thresholds.len(), 2);
    assert_eq!(
        (
            s.thresholds[0].backends.as_str(),
            s.thresholds[0].max_failed
        ),
        ("*", 0.01)
    );
    assert_eq!(s.thresholds[0].checks[1].text, "peak.latency_us.p99 < 50ms");
    assert_eq!(
        (
            s.thresholds[1].backends.as_str(),
            s.thresholds[1].max_failed
        ),
        ("memory-*", 0.025)
    );
    let fraction = with("\n[[threshold]]\nchecks = [\"units.oversold == 0\"]\nmax_failed = 0.05\n");
    assert_eq!(
        parse(&fraction, Path::new("s.toml")).unwrap().thresholds[0].max_failed,
        0.05
    );
}

#[test]
fn a_bad_check_is_located_in_its_string() {
    let text = with(
        "\n[[threshold]]\nchecks = [\n  \"units.oversold == 0\",\n  \"units.oversould == 0\",\n]\n",
    );
    let e = assert_err(
        &text,
        "\"units.oversould",
        "threshold[0].checks[1]",
        &[
            "unknown metric `units.oversould`",
            "did you mean `units.oversold`",
        ],
    );
    // The column of the metric itself, past the opening quote.
    assert_eq!(e.column, 4);
    let text = with("\n[[threshold]]\nchecks = [\"peak.latency_us.p99 < 5kg\"]\n");
    let e = assert_err(
        &text,
        "checks",
        "threshold[0].checks[0]",
        &["unit \"kg\" does not fit", "microseconds"],
    );
    // `checks = ["` is 11 characters; the unit follows the number.
    assert_eq!(e.column, 12 + "peak.latency_us.p99 < 5".len());
}

#[test]
fn selectors_checks_and_shares_are_checked() {
    assert_err(
        &with("\n[[threshold]]\nbackends = \"sqlite-*\"\nchecks = [\"units.oversold == 0\"]\n"),
        "backends",
        "threshold[0].backends",
        &["\"sqlite-*\" matches no backend", "\"memory-atomic\""],
    );
    assert_err(
        &with("\n[[threshold]]\nbackends = \"*\"\n"),
        "[[threshold]]",
        "threshold[0].checks",
        &["missing `checks`"],
    );
    assert_err(
        &with("\n[[threshold]]\nchecks = []\n"),
        "checks",
        "threshold[0].checks",
        &["empty"],
    );
    for bad in ["\"150%\"", "\"-1%\"", "2", "\"lots\"", "true"] {
        assert_err(
            &with(&format!(
                "\n[[threshold]]\nchecks = [\"units.oversold == 0\"]\nmax_failed = {bad}\n"
            )),
            "max_failed",
            "threshold[0].max_failed",
            &["between 0% and 100%"],
        );
    }
    assert_err(
        &with("\n[[threshold]]\nchecks = [\"units.oversold == 0\"]\nexpr = \"x\"\n"),
        "expr",
        "threshold[0].expr",
        &["unknown"],
    );
}

#[test]
fn the_documented_threshold_example_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let block = readme
        .split("```toml\n")
        .map(|b| b.split("```").next().unwrap())
        .find(|b| b.contains("[[threshold]]") && !b.contains("[[backend]]"))
        .expect("scenarios/README.md shows a [[threshold]] example");
    let text = with(&block.replace("sqlite-*", "memory-*"));
    let s = parse(&text, Path::new("s.toml")).unwrap_or_else(|e| panic!("{e}\n{block}"));
    assert_eq!(s.thresholds.len(), 2);
    assert_eq!(s.thresholds[0].checks.len(), 8);
}
