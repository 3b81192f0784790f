//! `--junit FILE`: the threshold verdicts as JUnit XML, the format CI
//! systems (GitLab, Jenkins, GitHub test reporters) show as test results.
//!
//! Invariant: one `<testsuite>` per backend, in run order, and one
//! `<testcase>` per threshold checked on it; a failed threshold is a
//! `<failure>` carrying the measured value and the limit. The output
//! validates against `schema/junit.xsd`.

use crate::gate::Verdict;
use crate::summary::RunSummary;

pub fn render(run: &RunSummary) -> String {
    let verdicts = crate::gate::recorded(run);
    let failures = verdicts.iter().filter(|v| !v.passed).count();
    let total_s: f64 = run.backends.iter().map(|b| b.duration_ms / 1000.0).sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&format!(
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{total_s:.3}\">\n",
        escape(&format!("atpsim {}", run.scenario.name)),
        verdicts.len(),
    ));
    for b in &run.backends {
        let cases: Vec<&Verdict> = verdicts.iter().filter(|v| v.backend == b.name).collect();
        let failed = cases.iter().filter(|v| !v.passed).count();
        let suite = format!("atpsim.{}.{}", run.scenario.name, b.name);
        xml.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\" time=\"{:.3}\" timestamp=\"{}\">\n",
            escape(&suite),
            cases.len(),
            b.duration_ms / 1000.0,
            escape(&run.started_at),
        ));
        xml.push_str("    <properties>\n");
        for (name, value) in [
            ("run_id", run.run_id.as_str()),
            ("schedule_hash", run.scenario.schedule_hash.as_str()),
            ("store", b.store.as_str()),
            ("strategy", b.strategy.as_str()),
        ] {
            xml.push_str(&format!(
                "      <property name=\"{name}\" value=\"{}\"/>\n",
                escape(value)
            ));
        }
        xml.push_str("    </properties>\n");
        for v in cases {
            xml.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\" time=\"0\"",
                escape(&suite),
                escape(&v.expression)
            ));
            if v.passed {
                xml.push_str(&format!(
                    ">\n      <system-out>measured {}</system-out>\n    </testcase>\n",
                    escape(&v.shown())
                ));
                continue;
            }
            let mut message = format!("{}: measured {}", v.expression, v.shown());
            if let Some(w) = v.window {
                message.push_str(&format!(" in window {w}"));
            }
            if let Some(r) = &v.reason {
                message.push_str(&format!("; {r}"));
            }
            xml.push_str(&format!(
                ">\n      <failure type=\"threshold\" message=\"{}\">{}\nmetric {} ({}), scope {}, limit {} {}, measured {}</failure>\n    </testcase>\n",
                escape(&message),
                escape(&message),
                escape(&v.metric),
                escape(&v.unit),
                escape(&v.scope),
                escape(&v.operator),
                escape(&v.limit.to_string()),
                escape(&v.measured.to_string()),
            ));
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

/// Text safe in an attribute or element: markup escaped, and characters
/// XML 1.0 forbids (most control characters) dropped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_and_forbidden_characters_never_reach_the_file() {
        assert_eq!(
            escape("a < b && c > \"d\" 'e'"),
            "a &lt; b &amp;&amp; c &gt; &quot;d&quot; &apos;e&apos;"
        );
        assert_eq!(escape("bell\u{7}line\nend"), "bellline&#10;end");
    }
}
