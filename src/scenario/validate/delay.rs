//! Delay tables of `[checkout]` (`pay_delay`, `cancel_delay`): a fixed,
//! uniform or log-normal wait after a hold is granted.
//!
//! Invariant: a table holds exactly one form; every duration is within
//! `MAX_RUN_SETTING`, a log-normal median is above zero with `sigma` in
//! (0, 10], and a uniform `min` is at most its `max`.

use super::text::leaf;
use super::{Result, Validator};
use crate::scenario::checkout::Delay;
use crate::scenario::model::MAX_RUN_SETTING;
use crate::scenario::raw::RawDelay;
use toml::Spanned;

/// Largest log-normal `sigma`: beyond it the draws span so many orders of
/// magnitude that nearly all of them sit at zero or at the cap.
const MAX_SIGMA: f64 = 10.0;
/// Why delays stay within `MAX_RUN_SETTING`.
const DELAY_WHY: &str = "a customer who waits more than an hour to act holds the run open that long after its last order";

impl Validator<'_> {
    pub(super) fn delay(&self, key: &str, raw: &Spanned<RawDelay>) -> Result<Delay> {
        let table_at = raw.span().start;
        let d = raw.get_ref();
        let name = leaf(key);
        let forms = format!(
            "exactly one of `{name} = {{ fixed = \"500ms\" }}`, `{name} = {{ median = \"900ms\", sigma = 0.5 }}` or `{name} = {{ min = \"100ms\", max = \"2s\" }}`"
        );
        // The first key of each form present, in written order.
        let mut present: Vec<(&str, usize)> = [
            ("fixed", d.fixed.as_ref().map(|v| v.span().start)),
            ("median", d.median.as_ref().map(|v| v.span().start)),
            ("sigma", d.sigma.as_ref().map(|v| v.span().start)),
            ("min", d.min.as_ref().map(|v| v.span().start)),
            ("max", d.max.as_ref().map(|v| v.span().start)),
        ]
        .into_iter()
        .filter_map(|(k, at)| at.map(|at| (k, at)))
        .collect();
        present.sort_by_key(|&(_, at)| at);
        fn form_of(k: &str) -> &str {
            match k {
                "sigma" => "median",
                "max" => "min",
                other => other,
            }
        }
        if present.is_empty() {
            return Err(self.missing(
                table_at,
                key,
                format!("the `{name}` table is empty; write {forms}"),
            ));
        }
        let first = form_of(present[0].0);
        if let Some(&(other, at)) = present.iter().find(|(k, _)| form_of(k) != first) {
            return Err(self.loc.key_of(
                at,
                format!("{key}.{other}"),
                format!(
                    "`{other}` cannot be combined with `{}`; write {forms}",
                    present[0].0
                ),
            ));
        }
        let capped =
            |v, k: &str| self.capped_duration(v, &format!("{key}.{k}"), MAX_RUN_SETTING, DELAY_WHY);
        match first {
            "fixed" => Ok(Delay::Fixed(capped(
                d.fixed.as_ref().expect("present"),
                "fixed",
            )?)),
            "median" => {
                let (Some(median), Some(sigma)) = (&d.median, &d.sigma) else {
                    let (has, lacks) = if d.median.is_some() {
                        ("median", "sigma")
                    } else {
                        ("sigma", "median")
                    };
                    return Err(self.missing(
                        table_at,
                        &format!("{key}.{lacks}"),
                        format!("`{has}` needs `{lacks}`: write e.g. `{name} = {{ median = \"900ms\", sigma = 0.5 }}`"),
                    ));
                };
                let m = capped(median, "median")?;
                if m.is_zero() {
                    return Err(self.loc.span(
                        median.span(),
                        format!("{key}.median"),
                        "a log-normal `median` must be above zero; write e.g. \"900ms\", or `{ fixed = \"0ms\" }` for no wait",
                    ));
                }
                let s = *sigma.get_ref();
                if !(s.is_finite() && s > 0.0 && s <= MAX_SIGMA) {
                    return Err(self.loc.span(
                        sigma.span(),
                        format!("{key}.sigma"),
                        format!("`sigma` must be a number above 0 and at most {MAX_SIGMA}, e.g. 0.5 (the spread of the log-normal; use `fixed` for none); got {s}"),
                    ));
                }
                Ok(Delay::LogNormal {
                    median: m,
                    sigma: s,
                })
            }
            _ => {
                let (Some(min), Some(max)) = (&d.min, &d.max) else {
                    let (has, lacks) = if d.min.is_some() {
                        ("min", "max")
                    } else {
                        ("max", "min")
                    };
                    return Err(self.missing(
                        table_at,
                        &format!("{key}.{lacks}"),
                        format!("`{has}` needs `{lacks}`: write e.g. `{name} = {{ min = \"100ms\", max = \"2s\" }}`"),
                    ));
                };
                let lo = capped(min, "min")?;
                let hi = capped(max, "max")?;
                if lo > hi {
                    return Err(self.loc.span(
                        max.span(),
                        format!("{key}.max"),
                        format!(
                            "`max` ({}) is below `min` ({}); swap them or raise `max`",
                            written(max),
                            written(min)
                        ),
                    ));
                }
                Ok(Delay::Uniform { min: lo, max: hi })
            }
        }
    }
}

/// A duration as the file writes it (it parsed, so it is a string).
fn written(v: &crate::scenario::raw::RawDuration) -> String {
    format!("{}", v.get_ref())
}
