//! `[checkout]`: holds, what the customer does next, retries after a
//! timeout and cart size; and whether every backend can run it.
//!
//! Invariant: the customer keys appear only with a `hold_ttl`, shares lie
//! in 0..=1 with `abandon + cancel <= 1`, and a scenario with a checkout
//! (a `[checkout]` table or any `[[event]]`) names only backends whose kind
//! `supports_checkout`.

use super::text::{leaf, quoted_list, thousands};
use super::{Result, Validator};
use crate::scenario::checkout::*;
use crate::scenario::error::line_column;
use crate::scenario::model::*;
use crate::scenario::raw::*;
use toml::Spanned;

/// Most extra attempts after a timed-out attempt: each one may take
/// `timeout` again, so more would stretch one order over minutes.
const MAX_TIMEOUT_RETRIES: i64 = 10;

impl Validator<'_> {
    /// The checkout of the scenario, `None` when it has neither a
    /// `[checkout]` table nor an `[[event]]`.
    pub(super) fn checkout(
        &self,
        raw: &RawScenario,
        skus: &[Sku],
        backends: &[BackendSpec],
    ) -> Result<Option<Checkout>> {
        let events = raw.event.as_deref().unwrap_or_default();
        let mut checkout = match &raw.checkout {
            Some(c) => self.checkout_table(c)?,
            None if events.is_empty() => return Ok(None),
            None => Checkout::default(),
        };
        checkout.events = self.events(events, skus)?;
        let (what, at) = match (&raw.checkout, events.first()) {
            (Some(_), _) => (
                "the `[checkout]` table",
                table_start(self.loc.text, "checkout"),
            ),
            (None, Some(e)) => ("the `[[event]]`", e.span().start),
            (None, None) => unreachable!("returned above"),
        };
        if skus.len() > MAX_CHECKOUT_SKUS {
            let key = if raw.checkout.is_some() {
                "checkout"
            } else {
                "event[0]"
            };
            return Err(self.loc.at(
                at,
                key,
                format!(
                    "{what} makes this a checkout run, which takes at most {} SKUs (its books \
                     per SKU keep it within 256 MB), and the catalogue has {}; lower \
                     `catalogue.long_tail.count` or the `[[sku]]` tables, or drop the checkout",
                    thousands(MAX_CHECKOUT_SKUS as u64),
                    thousands(skus.len() as u64)
                ),
            ));
        }
        self.backends_run_checkout(raw.backend.as_deref(), backends, what, at)?;
        Ok(Some(checkout))
    }

    fn checkout_table(&self, c: &RawCheckout) -> Result<Checkout> {
        let mut out = Checkout::default();
        if let Some(ttl) = &c.hold_ttl {
            out.hold_ttl = Some(self.positive_duration(
                Some(ttl),
                "checkout.hold_ttl",
                "2s",
                MAX_RUN_SETTING,
                "the run waits for every hold to lapse or be settled, so a longer one holds it open that long after its last order",
            )?);
        } else {
            self.no_hold_keys(c)?;
        }
        if let Some(g) = &c.hold_grace {
            out.hold_grace = self.positive_duration(
                Some(g),
                "checkout.hold_grace",
                "1s",
                MAX_RUN_SETTING,
                "a hold still live an hour past its deadline is leaked by any measure, and the run waits out the grace before it counts leaks",
            )?;
        }
        if let Some(d) = &c.pay_delay {
            out.pay_delay = self.delay("checkout.pay_delay", d)?;
        }
        if let Some(a) = &c.abandon {
            out.abandon = self.share_of_holds(a, "checkout.abandon", "0.3")?;
        }
        if let Some(x) = &c.cancel {
            out.cancel = self.share_of_holds(x, "checkout.cancel", "0.05")?;
            if out.abandon + out.cancel > 1.0 {
                return Err(self.loc.span(
                    x.span(),
                    "checkout.cancel",
                    format!(
                        "`abandon` ({}) + `cancel` ({}) = {} is above 1: both are shares of the same holds, and the rest are paid; lower one so they add up to at most 1",
                        out.abandon,
                        out.cancel,
                        out.abandon + out.cancel
                    ),
                ));
            }
        }
        if let Some(d) = &c.cancel_delay {
            out.cancel_delay = self.delay("checkout.cancel_delay", d)?;
        }
        if let Some(t) = &c.cancel_twice {
            out.cancel_twice = self.share_of_holds(t, "checkout.cancel_twice", "0.2")?;
            if out.cancel == 0.0 && out.cancel_twice > 0.0 {
                return Err(self.loc.key_of(
                    t.span().start,
                    "checkout.cancel_twice",
                    "`cancel_twice` is a share of the cancellations, and `cancel` is 0, so nothing would be sent twice; add e.g. `cancel = 0.1`",
                ));
            }
        }
        if out.cancel > 0.0 {
            if let Some(ttl) = out.hold_ttl {
                self.cancels_can_find_their_hold(
                    c,
                    out.cancel_delay,
                    ttl,
                    table_start(self.loc.text, "checkout"),
                )?;
            }
        }
        if let Some(e) = &c.after_expiry {
            out.after_expiry = match e.get_ref().as_str() {
                "reject" => AfterExpiry::Reject,
                "reacquire" => AfterExpiry::Reacquire,
                other => {
                    return Err(self.loc.span(
                        e.span(),
                        "checkout.after_expiry",
                        format!(
                            "unknown `after_expiry` {other:?}; expected `reject` (a late confirmation is refused) or `reacquire` (sold again if stock allows)"
                        ),
                    ))
                }
            };
        }
        if let Some(r) = &c.timeout_retries {
            out.timeout_retries = self.int(
                r,
                "checkout.timeout_retries",
                0,
                MAX_TIMEOUT_RETRIES,
                " (extra attempts after a timed-out attempt, each of which may wait `timeout` again)",
            )? as u32;
        }
        if let Some(i) = &c.idempotency {
            out.idempotency = *i.get_ref();
        }
        if let Some(l) = &c.lines {
            out.lines = self.lines(l)?;
        }
        Ok(out)
    }

    /// Refuses a `cancel_delay` that always comes at or after the deadline:
    /// every cancellation would find its hold lapsed and release nothing.
    fn cancels_can_find_their_hold(
        &self,
        c: &RawCheckout,
        delay: Delay,
        ttl: std::time::Duration,
        table_at: usize,
    ) -> Result<()> {
        let earliest = match delay {
            Delay::Fixed(d) => d,
            Delay::Uniform { min, .. } => min,
            // A log-normal delay reaches below any deadline.
            Delay::LogNormal { .. } => return Ok(()),
        };
        if earliest < ttl {
            return Ok(());
        }
        let (at, written) = match &c.cancel_delay {
            Some(d) => (d.span().start, "is"),
            None => (table_at, "defaults to 500ms, which is"),
        };
        Err(self.loc.key_of(
            at,
            "checkout.cancel_delay",
            format!(
                "`cancel_delay` {written} never before the hold's deadline (`hold_ttl` = {}ms), so every cancellation would find its hold lapsed and `cancel` would do nothing; make it shorter, e.g. `cancel_delay = {{ min = \"100ms\", max = \"{}ms\" }}` (a range that reaches past the deadline stages cancels racing the expiry)",
                ttl.as_millis(),
                ttl.as_millis() + ttl.as_millis() / 4
            ),
        ))
    }

    /// Refuses the keys that describe what happens to a hold when there are
    /// no holds.
    fn no_hold_keys(&self, c: &RawCheckout) -> Result<()> {
        let present = [
            ("hold_grace", c.hold_grace.as_ref().map(|v| v.span().start)),
            ("pay_delay", c.pay_delay.as_ref().map(|v| v.span().start)),
            ("abandon", c.abandon.as_ref().map(|v| v.span().start)),
            ("cancel", c.cancel.as_ref().map(|v| v.span().start)),
            (
                "cancel_delay",
                c.cancel_delay.as_ref().map(|v| v.span().start),
            ),
            (
                "cancel_twice",
                c.cancel_twice.as_ref().map(|v| v.span().start),
            ),
            (
                "after_expiry",
                c.after_expiry.as_ref().map(|v| v.span().start),
            ),
        ];
        let first = present
            .iter()
            .filter_map(|&(k, at)| at.map(|at| (k, at)))
            .min_by_key(|&(_, at)| at);
        match first {
            None => Ok(()),
            Some((k, at)) => Err(self.loc.key_of(
                at,
                format!("checkout.{k}"),
                format!(
                    "`{k}` says what happens to a hold, but this [checkout] has no `hold_ttl`, so orders are sold at once; add e.g. `hold_ttl = \"2s\"` or remove `{k}`"
                ),
            )),
        }
    }

    /// A share of holds: a number in 0..=1.
    fn share_of_holds(&self, v: &Spanned<f64>, key: &str, example: &str) -> Result<f64> {
        let p = *v.get_ref();
        if !(0.0..=1.0).contains(&p) {
            return Err(self.loc.span(
                v.span(),
                key,
                format!(
                    "`{}` is a share of holds and must be between 0 and 1, e.g. {example}; got {p}",
                    leaf(key)
                ),
            ));
        }
        Ok(p)
    }

    fn lines(&self, raw: &Spanned<RawLines>) -> Result<LineCount> {
        let l = raw.get_ref();
        let (Some(min), Some(max)) = (&l.min, &l.max) else {
            let (lacks, what) = match (&l.min, &l.max) {
                (Some(_), _) => ("max", "`min` needs `max`"),
                (_, Some(_)) => ("min", "`max` needs `min`"),
                (None, None) => ("min", "the `lines` table is empty"),
            };
            return Err(self.missing(
                raw.span().start,
                &format!("checkout.lines.{lacks}"),
                format!(
                    "{what}: write e.g. `lines = {{ min = 1, max = 3 }}` (`{{ min = 2, max = 2 }}` for always 2)"
                ),
            ));
        };
        let why = " (lines per cart)";
        let lo = self.int(min, "checkout.lines.min", 1, MAX_CART_LINES as i64, why)? as u32;
        let hi = self.int(max, "checkout.lines.max", 1, MAX_CART_LINES as i64, why)? as u32;
        if lo > hi {
            return Err(self.loc.span(
                max.span(),
                "checkout.lines.max",
                format!("`max` ({hi}) is below `min` ({lo}); swap them or raise `max`"),
            ));
        }
        Ok(LineCount { min: lo, max: hi })
    }

    /// Refuses the first backend whose kind lacks the checkout calls; `what`
    /// at `at` is the table that asks for them.
    fn backends_run_checkout(
        &self,
        raw: Option<&[Spanned<RawBackend>]>,
        backends: &[BackendSpec],
        what: &str,
        at: usize,
    ) -> Result<()> {
        let Some(i) = backends.iter().position(|b| !b.kind.supports_checkout()) else {
            return Ok(());
        };
        let kind_raw = raw
            .and_then(|r| r.get(i))
            .and_then(|b| b.get_ref().kind.as_ref())
            .expect("validated backends come from raw ones with a kind");
        let able: Vec<&str> = BackendKind::ALL
            .iter()
            .filter(|k| k.supports_checkout())
            .map(|k| k.as_str())
            .collect();
        let (line, _) = line_column(self.loc.text, at);
        Err(self.loc.span(
            kind_raw.span(),
            format!("backend[{i}].kind"),
            format!(
                "{} does not implement the checkout calls (holds, confirmations, releases, stock events) that {what} at line {line} needs; use one of {} here, or remove this backend",
                backends[i].kind.as_str(),
                quoted_list(&able)
            ),
        ))
    }
}

/// Where the top-level table `name` starts: its first header (`[name]`,
/// `[name.x]`) or top-level key (`name = {…}`, `name.x = …`); 0 if none.
/// Dotted headers alone imply a table without a span of its own.
pub(super) fn table_start(text: &str, name: &str) -> usize {
    let mut offset = 0;
    let mut in_root = true;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(header) = t.strip_prefix('[') {
            let header = header.trim_start_matches('[').trim_start();
            if header.starts_with(name) && header[name.len()..].trim_start().starts_with(['.', ']'])
            {
                return offset;
            }
            in_root = false;
        } else if in_root
            && t.starts_with(name)
            && t[name.len()..].trim_start().starts_with(['.', '='])
        {
            return offset;
        }
        offset += line.len();
    }
    0
}

#[cfg(test)]
mod table_start_tests {
    use super::table_start;

    #[test]
    fn finds_the_header_or_key_that_opens_the_table() {
        assert_eq!(table_start("a = 1\n[checkout]\n", "checkout"), 6);
        assert_eq!(table_start("a = 1\n[checkout.pay_delay]\n", "checkout"), 6);
        assert_eq!(table_start("checkout = { abandon = 0.1 }\n", "checkout"), 0);
        assert_eq!(
            table_start("[x]\ncheckout = 1\n[checkout]\n", "checkout"),
            17
        );
        assert_eq!(table_start("[checkouts]\n", "checkout"), 0);
    }
}
