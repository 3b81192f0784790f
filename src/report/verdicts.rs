//! The threshold verdicts of `run.json` as a Markdown section, for
//! `summary.md`, `--markdown` and the GitHub step summary.
//!
//! Invariant: reads `RunSummary::thresholds` only; empty when no
//! threshold was checked.

use crate::summary::RunSummary;

pub fn markdown(run: &RunSummary) -> String {
    let verdicts = crate::gate::recorded(run);
    if verdicts.is_empty() {
        return String::new();
    }
    let failed = verdicts.iter().filter(|v| !v.passed).count();
    let mut md = format!(
        "\n## Thresholds\n\n{} passed, **{failed} failed**\n\n| | backend | threshold | measured | note |\n|---|---|---|---|---|\n",
        verdicts.len() - failed
    );
    for v in &verdicts {
        let mut note = v.reason.clone().unwrap_or_default();
        if let Some(w) = v.window {
            note = format!(
                "window {w}{}{note}",
                if note.is_empty() { "" } else { "; " }
            );
        }
        md.push_str(&format!(
            "| {} | {} | `{}` | {} | {} |\n",
            if v.passed { "✅ pass" } else { "❌ FAIL" },
            v.backend,
            v.expression.replace('|', "\\|"),
            v.shown(),
            note.replace('|', "\\|")
        ));
    }
    md
}
