//! Durations written as strings: a decimal number followed by a unit.
//!
//! Accepted units are `us` (also `µs`), `ms`, `s`, `m` and `h`. The number
//! has no sign and no exponent and may carry a fraction (`"1.5s"`); it must
//! resolve to whole nanoseconds. A bare number is rejected because its unit
//! would be a guess, and so is any space, inside or around the text.

use std::time::Duration;

/// Units in the order they are tried, with their length in nanoseconds.
/// `ms` and `us` come before `s` and `m` so that suffix matching is unambiguous.
const UNITS: [(&str, u128); 6] = [
    ("ms", 1_000_000),
    ("us", 1_000),
    ("µs", 1_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// As `parse_duration`, but a well-formed duration too long for a
/// `Duration` comes out as `Duration::MAX`: for keys that cap their value
/// next, whose refusal then names the key's limit instead of "too long".
pub fn parse_duration_saturating(text: &str) -> Result<Duration, String> {
    match parse_duration(text) {
        Err(m) if m == too_long_message(text) => Ok(Duration::MAX),
        other => other,
    }
}

fn too_long_message(text: &str) -> String {
    format!("duration \"{text}\" is too long")
}

/// Parses `"250us"`, `"100ms"`, `"1.5s"`, `"2m"`, `"1h"`, `"0ms"`.
///
/// The error is a lower-case sentence that says what was expected.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.len() != text.len() && !s.is_empty() {
        return Err(format!(
            "duration \"{text}\" has spaces around it; write \"{s}\" (no spaces, as inside: \"5ms\", not \"5 ms\")"
        ));
    }
    // `ns` would otherwise read as the number "1n" in seconds, and the
    // message would not say that the unit is what is wrong.
    if let Some(number) = s.strip_suffix("ns") {
        if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(format!(
                "duration \"{text}\" is in nanoseconds, a unit durations do not take; the finest is `us` (units: us, ms, s, m, h)"
            ));
        }
    }
    let Some((number, unit_ns)) = UNITS
        .iter()
        .find_map(|&(unit, ns)| s.strip_suffix(unit).map(|n| (n, ns)))
    else {
        return Err(
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                format!("duration \"{text}\" has no unit; write e.g. \"{s}ms\" or \"{s}s\" (units: us, ms, s, m, h)")
            } else {
                format!(
                "\"{text}\" is not a duration; write a number followed by a unit, e.g. \"100ms\" (units: us, ms, s, m, h)"
            )
            },
        );
    };
    let bad = || {
        format!(
            "\"{text}\" is not a duration; write a non-negative decimal number followed by a unit, e.g. \"1.5s\" or \"250us\""
        )
    };
    let (whole, frac) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    let digits_ok = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits_ok(whole) || !digits_ok(frac) || number.ends_with('.') {
        return Err(bad());
    }
    // Exact integer arithmetic: value_ns = (whole.frac) × unit_ns.
    let too_long = || too_long_message(text);
    let whole_n: u128 = whole.parse().map_err(|_| too_long())?;
    let mut ns = whole_n.checked_mul(unit_ns).ok_or_else(too_long)?;
    if !frac.is_empty() {
        if frac.len() > 30 {
            return Err(format!(
                "duration \"{text}\" has too many decimal places; durations resolve to whole nanoseconds"
            ));
        }
        let frac_n: u128 = frac.parse().map_err(|_| bad())?;
        let scale = 10u128.pow(frac.len() as u32);
        let scaled = frac_n.checked_mul(unit_ns).ok_or_else(too_long)?;
        if scaled % scale != 0 {
            return Err(format!(
                "duration \"{text}\" is finer than one nanosecond; use fewer decimal places"
            ));
        }
        ns = ns.checked_add(scaled / scale).ok_or_else(too_long)?;
    }
    let secs = u64::try_from(ns / 1_000_000_000).map_err(|_| too_long())?;
    Ok(Duration::new(secs, (ns % 1_000_000_000) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        assert_eq!(parse_duration("250us"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_duration("250µs"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_duration("100ms"), Ok(Duration::from_millis(100)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("0ms"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("0.25ms"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_duration("1.000000001s"), Ok(Duration::new(1, 1)));
    }

    #[test]
    fn bare_numbers_ask_for_a_unit() {
        let e = parse_duration("100").unwrap_err();
        assert!(e.contains("no unit") && e.contains("\"100ms\""), "{e}");
    }

    #[test]
    fn rejects_malformed_text() {
        for text in [
            "", "ms", "-1ms", "1e3ms", ".5s", "5.s", "1 h", "abc", "1.2.3s", "+1s", " 5ms", "5ms ",
            "\t5ms", "5ms\n", "1d", " ",
        ] {
            assert!(parse_duration(text).is_err(), "{text:?} should be rejected");
        }
        let e = parse_duration(" 5ms").unwrap_err();
        assert!(e.contains("spaces") && e.contains("\"5ms\""), "{e}");
        // Nanoseconds are refused by name, not as "not a duration".
        let e = parse_duration("0.1ns").unwrap_err();
        assert!(e.contains("in nanoseconds") && e.contains("`us`"), "{e}");
        let e = parse_duration("0.0001us").unwrap_err();
        assert!(e.contains("nanosecond"), "{e}");
        let e = parse_duration("99999999999999999999999m").unwrap_err();
        assert!(e.contains("too long"), "{e}");
    }
}
