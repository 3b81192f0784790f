//! `[[threshold]]` tables: which backends, which checks, how many failed
//! orders a backend may have and still decide the gate.
//!
//! Invariant: every check parses against the metric catalogue and every
//! selector matches at least one backend of this scenario, so a threshold
//! can never pass by naming nothing.

use super::{Result, Validator};
use crate::gate::{self, ThresholdSet};
use crate::scenario::model::BackendSpec;
use crate::scenario::raw::RawThreshold;
use toml::Spanned;

impl Validator<'_> {
    pub(super) fn thresholds(
        &self,
        raw: Option<&[Spanned<RawThreshold>]>,
        backends: &[BackendSpec],
    ) -> Result<Vec<ThresholdSet>> {
        let names: Vec<&str> = backends.iter().map(|b| b.name.as_str()).collect();
        let mut out = Vec::new();
        for (i, t) in raw.unwrap_or_default().iter().enumerate() {
            let key = format!("threshold[{i}]");
            let r = t.get_ref();
            let backends = match &r.backends {
                None => "*".to_string(),
                Some(b) => {
                    if let Some(message) = gate::unmatched(b.get_ref(), &names) {
                        return Err(self.loc.span(b.span(), format!("{key}.backends"), message));
                    }
                    b.get_ref().clone()
                }
            };
            let Some(checks_raw) = &r.checks else {
                return Err(self.missing(
                    t.span().start,
                    &format!("{key}.checks"),
                    "missing `checks`: list the expressions, e.g. `checks = [\"units.oversold == 0\"]`".into(),
                ));
            };
            if checks_raw.get_ref().is_empty() {
                return Err(self.loc.span(
                    checks_raw.span(),
                    format!("{key}.checks"),
                    "`checks` is empty: a threshold table with no check gates nothing",
                ));
            }
            let mut checks = Vec::new();
            for (j, c) in checks_raw.get_ref().iter().enumerate() {
                let check = gate::expr::parse(c.get_ref()).map_err(|e| {
                    // Past the opening quote; exact for strings without escapes.
                    let at = c.span().start + 1 + e.at;
                    self.loc.at(at, format!("{key}.checks[{j}]"), e.message)
                })?;
                checks.push(check);
            }
            let max_failed = match &r.max_failed {
                None => gate::DEFAULT_MAX_FAILED,
                Some(m) => self.share(m, &format!("{key}.max_failed"))?,
            };
            out.push(ThresholdSet {
                backends,
                checks,
                max_failed,
            });
        }
        Ok(out)
    }

    /// `"2.5%"` or a fraction such as `0.025`, within 0 ..= 100%.
    fn share(&self, v: &Spanned<toml::Value>, key: &str) -> Result<f64> {
        let share = match v.get_ref() {
            toml::Value::String(s) => s
                .trim()
                .strip_suffix('%')
                .and_then(|n| n.trim().parse::<f64>().ok())
                .map(|p| p / 100.0),
            toml::Value::Float(f) => Some(*f),
            toml::Value::Integer(n) => Some(*n as f64),
            _ => None,
        };
        match share {
            Some(s) if (0.0..=1.0).contains(&s) => Ok(s),
            _ => Err(self.loc.span(
                v.span(),
                key,
                format!(
                    "`{}` must be a share between 0% and 100%, written \"1%\" or 0.01",
                    super::text::leaf(key)
                ),
            )),
        }
    }
}
