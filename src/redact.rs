//! Credentials never reach output: URLs are printed with their password
//! replaced, and driver messages are scrubbed of it too.
//!
//! Invariant: every string built from a server URL for a terminal, a file or
//! an error goes through this module first.

/// What stands in for a password.
pub const MASK: &str = "redacted";

/// `url` with its password (in the authority or as a `password=` query
/// parameter) replaced by `redacted`. Text that is not a URL is shown only
/// up to its scheme, since it may hold a password in a form we cannot parse.
pub fn url(raw: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(raw) else {
        return match raw.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://({MASK}: not a valid URL)"),
            None => format!("({MASK}: not a valid URL)"),
        };
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some(MASK));
    }
    let has_secret_query = parsed
        .query_pairs()
        .any(|(k, _)| k.eq_ignore_ascii_case("password"));
    if has_secret_query {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if k.eq_ignore_ascii_case("password") {
                    MASK.to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// `message` with every occurrence of `url`'s password (raw or
/// percent-decoded) replaced, for driver errors that might echo it.
pub fn message(message: &str, raw_url: &str) -> String {
    let Ok(parsed) = url::Url::parse(raw_url) else {
        return message.to_string();
    };
    let mut secrets: Vec<String> = Vec::new();
    if let Some(p) = parsed.password() {
        secrets.push(p.to_string());
        if let Ok(decoded) = percent_decode(p) {
            secrets.push(decoded);
        }
    }
    for (k, v) in parsed.query_pairs() {
        if k.eq_ignore_ascii_case("password") {
            secrets.push(v.into_owned());
        }
    }
    let mut out = message.to_string();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(secret.as_str(), MASK);
    }
    out
}

fn percent_decode(s: &str) -> Result<String, std::string::FromUtf8Error> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap() * 16 + hex(l).unwrap()) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_in_authority_is_replaced() {
        let shown = url("postgres://app:s3cr%40t@db.example:5432/shop");
        assert_eq!(shown, "postgres://app:redacted@db.example:5432/shop");
    }

    #[test]
    fn password_query_parameter_is_replaced() {
        let shown = url("mysql://app@db:3306/shop?password=hunter2&ssl-mode=disabled");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("ssl-mode=disabled"), "{shown}");
    }

    #[test]
    fn url_without_password_is_unchanged() {
        assert_eq!(
            url("postgres://postgres@127.0.0.1:5432/test"),
            "postgres://postgres@127.0.0.1:5432/test"
        );
    }

    #[test]
    fn unparsable_text_is_not_echoed() {
        let shown = url("postgres://user:pa ss@[bad");
        assert!(!shown.contains("pa ss"), "{shown}");
    }

    #[test]
    fn messages_lose_raw_and_decoded_passwords() {
        let raw = "postgres://app:s3cr%40t@db/shop";
        let scrubbed = message("auth failed for s3cr@t and s3cr%40t", raw);
        assert_eq!(scrubbed, "auth failed for redacted and redacted");
    }
}
