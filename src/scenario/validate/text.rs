//! Wording helpers shared by the validation messages.
//!
//! Invariant: these only format; they never decide whether a value is valid.

use crate::scenario::model::Sku;

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
