//! Scalar values: integers, units, durations and rates.
//!
//! Invariant: a value outside its range is refused at its own span, with a
//! message naming the key's last segment and the accepted range.

use super::text::{duration as duration_text, leaf};
use super::{Result, Validator};
use crate::scenario::duration::{parse_duration, parse_duration_saturating};
use crate::scenario::error::ScenarioError;
use crate::scenario::model::MAX_UNITS;
use crate::scenario::raw::RawDuration;
use std::time::Duration;
use toml::Spanned;

impl Validator<'_> {
    /// An integer in `min..=max`; `what` is appended to the range message.
    pub(super) fn int(
        &self,
        v: &Spanned<i64>,
        key: &str,
        min: i64,
        max: i64,
        what: &str,
    ) -> Result<i64> {
        let n = *v.get_ref();
        if n < min || n > max {
            let range = if max == i64::MAX {
                format!("at least {min}")
            } else {
                format!("between {min} and {max}")
            };
            return Err(self.loc.span(
                v.span(),
                key,
                format!("`{}` must be {range}{what}; got {n}", leaf(key)),
            ));
        }
        Ok(n)
    }

    /// A stock or buffer: `0..=MAX_UNITS`.
    pub(super) fn units(&self, v: &Spanned<i64>, key: &str) -> Result<u64> {
        let n = *v.get_ref();
        if n < 0 {
            return Err(self.loc.span(
                v.span(),
                key,
                format!("`{}` must be 0 or more units; got {n}", leaf(key)),
            ));
        }
        if n as u64 > MAX_UNITS {
            return Err(self.loc.span(
                v.span(),
                key,
                format!(
                    "`{}` is {n}, above 2^53 - 1 = {MAX_UNITS}: Redis Lua numbers are doubles, which hold integers exactly only up to there; lower it",
                    leaf(key)
                ),
            ));
        }
        Ok(n as u64)
    }

    /// A duration string; a bare number is refused with a hint. One too
    /// long for a `Duration` is `Duration::MAX`: every duration key is capped
    /// (`within_cap`) right after, and that refusal names the key's limit.
    pub(super) fn duration(&self, v: &RawDuration, key: &str) -> Result<Duration> {
        match v.get_ref() {
            toml::Value::String(s) => {
                parse_duration_saturating(s).map_err(|m| self.loc.span(v.span(), key, m))
            }
            toml::Value::Integer(n) => Err(self.loc.span(
                v.span(),
                key,
                format!("a bare number is not a duration; write it as a string with a unit, e.g. \"{n}ms\""),
            )),
            toml::Value::Float(n) => Err(self.loc.span(
                v.span(),
                key,
                format!("a bare number is not a duration; write it as a string with a unit, e.g. \"{n}s\""),
            )),
            other => Err(self.loc.span(
                v.span(),
                key,
                format!(
                    "expected a duration string such as \"100ms\", found {}",
                    other.type_str()
                ),
            )),
        }
    }

    /// A duration of at most `cap`; `why` says what the cap protects.
    pub(super) fn capped_duration(
        &self,
        v: &RawDuration,
        key: &str,
        cap: Duration,
        why: &str,
    ) -> Result<Duration> {
        let d = self.duration(v, key)?;
        self.within_cap(v, key, d, cap, why)?;
        Ok(d)
    }

    /// Refuses `d`, the value of `v`, when above `cap`.
    pub(super) fn within_cap(
        &self,
        v: &RawDuration,
        key: &str,
        d: Duration,
        cap: Duration,
        why: &str,
    ) -> Result<()> {
        if d > cap {
            let written = match v.get_ref() {
                toml::Value::String(s) => s.clone(),
                _ => duration_text(d),
            };
            return Err(self.loc.span(
                v.span(),
                key,
                format!(
                    "`{}` is \"{written}\", above the limit of {}: {why}; lower it",
                    leaf(key),
                    duration_text(cap)
                ),
            ));
        }
        Ok(())
    }

    /// An optional duration that must be above zero.
    pub(super) fn positive_duration(
        &self,
        v: Option<&RawDuration>,
        key: &str,
        default: &str,
        cap: Duration,
        why: &str,
    ) -> Result<Duration> {
        let Some(v) = v else {
            return Ok(parse_duration(default).expect("defaults parse"));
        };
        let d = self.duration(v, key)?;
        if d.is_zero() {
            return Err(self.loc.span(
                v.span(),
                key,
                format!(
                    "`{}` must be above zero; write e.g. \"{default}\"",
                    leaf(key)
                ),
            ));
        }
        self.within_cap(v, key, d, cap, why)?;
        Ok(d)
    }

    /// A finite number of orders per second; `allow_zero` for ramp ends.
    pub(super) fn rate(&self, v: &Spanned<f64>, key: &str, allow_zero: bool) -> Result<f64> {
        let r = *v.get_ref();
        let ok = r.is_finite() && (r > 0.0 || (allow_zero && r == 0.0));
        if !ok {
            let bound = if allow_zero { "0 or more" } else { "above 0" };
            return Err(self.loc.span(
                v.span(),
                key,
                format!(
                    "`{}` must be a finite number of orders per second, {bound}; got {r}",
                    leaf(key)
                ),
            ));
        }
        Ok(r)
    }

    pub(super) fn missing(&self, table_at: usize, key: &str, message: String) -> ScenarioError {
        self.loc.at(table_at, key, message)
    }
}
