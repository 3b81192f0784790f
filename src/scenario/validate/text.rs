//! Wording helpers shared by the validation messages.
//!
//! Invariant: these only format; they never decide whether a value is valid.

use crate::scenario::model::Sku;
use std::time::Duration;

/// The last segment of a dotted key, for messages.
pub(super) fn leaf(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

pub(super) fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

pub(super) fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A TOML key as it would be written: bare when possible, quoted otherwise.
pub(super) fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

/// A few SKU ids, for "unknown SKU" messages.
pub(super) fn describe_ids(skus: &[Sku]) -> String {
    const SHOWN: usize = 4;
    let mut shown: Vec<String> = skus
        .iter()
        .take(SHOWN)
        .map(|s| format!("{:?}", s.id))
        .collect();
    if skus.len() > SHOWN + 1 {
        shown.push("…".into());
        shown.push(format!("{:?}", skus[skus.len() - 1].id));
        format!("{} ({} SKUs)", shown.join(", "), skus.len())
    } else {
        if skus.len() == SHOWN + 1 {
            shown.push(format!("{:?}", skus[SHOWN].id));
        }
        shown.join(", ")
    }
}

/// An integer with thousands separators: `1,200,000,000`.
pub(super) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count or product for messages, readable whatever its size: `3.0e300`
/// above 10^12 (and below 0.001), thousands separators otherwise, at most
/// three decimals.
pub(super) fn number(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN".into()
        } else {
            "more than 1.0e308".into()
        };
    }
    let a = x.abs();
    if a == 0.0 {
        return "0".into();
    }
    if !(1e-3..=1e12).contains(&a) {
        return format!("{x:.1e}");
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let fixed = format!("{a:.3}");
    let (whole, frac) = fixed.split_once('.').expect("fixed has a point");
    let frac = frac.trim_end_matches('0');
    let whole = thousands(whole.parse().expect("digits"));
    if frac.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{frac}")
    }
}

/// A duration as a scenario would write it, in the largest unit that
/// divides it: `1h`, `90s`, `2m`, `60s`, `250ms`; finer ones as `Duration`
/// debug-prints.
pub(super) fn duration(d: Duration) -> String {
    let ns = d.as_nanos();
    for (unit, len) in [
        ("h", 3_600_000_000_000u128),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
    ] {
        // Minutes only past one: `60s` reads better than `1m`.
        if ns > 0 && ns.is_multiple_of(len) && (unit != "m" || ns > len) {
            return format!("{}{unit}", ns / len);
        }
    }
    format!("{d:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_readable_at_any_size() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_200_000_000), "1,200,000,000");
        assert_eq!(number(1.2e9), "1,200,000,000");
        assert_eq!(number(1e12), "1,000,000,000,000");
        assert_eq!(number(3e300), "3.0e300");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(1e-9), "1.0e-9");
        assert_eq!(number(1234.25), "1,234.25");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(f64::INFINITY), "more than 1.0e308");
    }

    #[test]
    fn durations_use_the_largest_exact_unit() {
        assert_eq!(duration(Duration::from_secs(86_400)), "24h");
        assert_eq!(duration(Duration::from_secs(90)), "90s");
        assert_eq!(duration(Duration::from_secs(60)), "60s");
        assert_eq!(duration(Duration::from_secs(120)), "2m");
        assert_eq!(duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(duration(Duration::from_nanos(7)), "7ns");
        assert_eq!(duration(Duration::ZERO), "0ns");
    }
}
