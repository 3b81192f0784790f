//! The checkout around a reservation: holds with a TTL, what the customer
//! does next, client retries after a timeout, multi-line carts and timed
//! stock events (`[checkout]` and `[[event]]` in the scenario).
//!
//! Invariant: a `Checkout` value has passed validation: probabilities lie in
//! 0..=1 with `abandon + cancel <= 1`, the customer keys appear only with a
//! `hold_ttl`, every event names a SKU of the catalogue, `1 <= lines.min <=
//! lines.max <= MAX_CART_LINES`.

use super::model::SkuIdx;
use serde::Serialize;
use std::time::Duration;

/// Most lines one cart may hold.
pub const MAX_CART_LINES: u32 = 16;

/// What happens around each order once the scenario has a `[checkout]`
/// table or an `[[event]]` (defaults: sold at once, one line, no retries
/// after a timeout, idempotency keys on).
#[derive(Debug, Clone, Serialize)]
pub struct Checkout {
    /// `Some`: an order takes a hold that lapses this long after it was
    /// sent unless confirmed; `None`: the order is sold at once.
    #[serde(serialize_with = "opt_ms")]
    pub hold_ttl: Option<Duration>,
    /// A hold still live this long past its deadline counts as leaked.
    #[serde(serialize_with = "as_ms")]
    pub hold_grace: Duration,
    /// When a paying customer confirms, after the hold was granted.
    pub pay_delay: Delay,
    /// Share of holds the customer walks away from (they must lapse).
    pub abandon: f64,
    /// Share of holds the customer cancels, `cancel_delay` after the grant.
    pub cancel: f64,
    pub cancel_delay: Delay,
    /// Share of cancellations sent twice (a double click): the second must
    /// release nothing.
    pub cancel_twice: f64,
    /// What a confirmation that arrives after the hold's deadline gets.
    pub after_expiry: AfterExpiry,
    /// Extra attempts after an attempt timed out (`unknown`).
    pub timeout_retries: u32,
    /// Retries carry the order's key, so the backend applies an order once.
    pub idempotency: bool,
    /// Lines per cart, drawn uniformly; each line is drawn like a one-line
    /// order of the same phase, so a cart may name a SKU twice.
    pub lines: LineCount,
    /// Timed stock events, in the order of `at`.
    pub events: Vec<Event>,
}

impl Default for Checkout {
    fn default() -> Self {
        Checkout {
            hold_ttl: None,
            hold_grace: Duration::from_secs(1),
            pay_delay: Delay::Fixed(Duration::from_millis(500)),
            abandon: 0.0,
            cancel: 0.0,
            cancel_delay: Delay::Fixed(Duration::from_millis(500)),
            cancel_twice: 0.0,
            after_expiry: AfterExpiry::Reject,
            timeout_retries: 0,
            idempotency: true,
            lines: LineCount { min: 1, max: 1 },
            events: Vec::new(),
        }
    }
}

/// A drawn delay. Serialises as the table the scenario writes, tagged with
/// its kind: `{"kind": "fixed", "fixed": 500.0}` (milliseconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Delay {
    Fixed(Duration),
    /// Uniform over `min..=max`.
    Uniform {
        min: Duration,
        max: Duration,
    },
    /// Log-normal with this median and shape `sigma` (of the underlying normal).
    LogNormal {
        median: Duration,
        sigma: f64,
    },
}

// By hand: serde's internal tagging cannot carry the bare duration of
// `Fixed`, and would fail the whole effective scenario at run time.
impl Serialize for Delay {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
        let mut map = s.serialize_map(Some(3))?;
        match self {
            Delay::Fixed(d) => {
                map.serialize_entry("kind", "fixed")?;
                map.serialize_entry("fixed", &ms(d))?;
            }
            Delay::Uniform { min, max } => {
                map.serialize_entry("kind", "uniform")?;
                map.serialize_entry("min", &ms(min))?;
                map.serialize_entry("max", &ms(max))?;
            }
            Delay::LogNormal { median, sigma } => {
                map.serialize_entry("kind", "log_normal")?;
                map.serialize_entry("median", &ms(median))?;
                map.serialize_entry("sigma", sigma)?;
            }
        }
        map.end()
    }
}

/// The policy for a confirmation that arrives after its hold lapsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterExpiry {
    /// Refuse it: the customer must start again.
    Reject,
    /// Sell it if stock allows, in one atomic conditional step; refuse otherwise.
    Reacquire,
}

impl AfterExpiry {
    pub fn as_str(self) -> &'static str {
        match self {
            AfterExpiry::Reject => "reject",
            AfterExpiry::Reacquire => "reacquire",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LineCount {
    pub min: u32,
    pub max: u32,
}

/// One `[[event]]`: something that happens to stock at `at`, racing the sale.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    #[serde(serialize_with = "as_ms")]
    pub at: Duration,
    pub action: EventAction,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventAction {
    /// `units` arrive: stock `S` rises.
    Restock { sku: SkuIdx, units: u64 },
    /// A count finds `units` fewer than recorded: stock `S` falls.
    Correction { sku: SkuIdx, units: u64 },
    /// The `orders` earliest sold orders whose first line is `sku` (any
    /// SKU when `None`) are cancelled after purchase: their units return.
    Refund { sku: Option<SkuIdx>, orders: u64 },
}

fn as_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

fn opt_ms<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => as_ms(d, s),
        None => s.serialize_none(),
    }
}
