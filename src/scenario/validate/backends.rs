//! `[[backend]]` tables: kind, options and name.
//!
//! Invariant: a backend carries only the options its kind supports, and
//! backend names (explicit or defaulted to the kind) are unique.

use super::text::quoted_list;
use super::{Result, Validator};
use crate::scenario::error::line_column;
use crate::scenario::model::*;
use crate::scenario::raw::*;
use std::collections::HashMap;
use toml::Spanned;

impl Validator<'_> {
    pub(super) fn backends(
        &self,
        raw: Option<&[Spanned<RawBackend>]>,
        skus: &[Sku],
        timeout: std::time::Duration,
    ) -> Result<Vec<BackendSpec>> {
        let raw = raw.unwrap_or_default();
        if raw.is_empty() {
            return Err(self.loc.at(
                0,
                "backend",
                "no backends: add at least one `[[backend]]` table with a `kind`",
            ));
        }
        let kinds: Vec<&str> = BackendKind::ALL.iter().map(|k| k.as_str()).collect();
        let mut out = Vec::with_capacity(raw.len());
        let mut names: HashMap<String, (usize, usize)> = HashMap::new();
        for (i, b) in raw.iter().enumerate() {
            let key = format!("backend[{i}]");
            let table_at = b.span().start;
            let r = b.get_ref();
            let Some(kind_raw) = &r.kind else {
                return Err(self.missing(
                    table_at,
                    &format!("{key}.kind"),
                    format!(
                        "missing `kind`: every [[backend]] needs one of {}",
                        quoted_list(&kinds)
                    ),
                ));
            };
            let Some(kind) = BackendKind::parse(kind_raw.get_ref()) else {
                return Err(self.loc.span(
                    kind_raw.span(),
                    format!("{key}.kind"),
                    format!(
                        "unknown backend kind {:?}; expected one of {}",
                        kind_raw.get_ref(),
                        quoted_list(&kinds)
                    ),
                ));
            };
            let supported = kind.supported_options();
            let options = [
                ("rtt", r.rtt.as_ref().map(|v| v.span().start)),
                (
                    "late_replies",
                    r.late_replies.as_ref().map(|v| v.span().start),
                ),
                ("late_reply", r.late_reply.as_ref().map(|v| v.span().start)),
                ("pool", r.pool.as_ref().map(|v| v.span().start)),
                (
                    "busy_timeout",
                    r.busy_timeout.as_ref().map(|v| v.span().start),
                ),
                ("url", r.url.as_ref().map(|v| v.span().start)),
                ("isolation", r.isolation.as_ref().map(|v| v.span().start)),
                ("buckets", r.buckets.as_ref().map(|v| v.span().start)),
                ("batch_size", r.batch_size.as_ref().map(|v| v.span().start)),
                ("batch_wait", r.batch_wait.as_ref().map(|v| v.span().start)),
                ("schema", r.schema.as_ref().map(|v| v.span().start)),
                ("reset", r.reset.as_ref().map(|v| v.span().start)),
                ("reserve", r.reserve.as_ref().map(|v| v.span().start)),
                ("snapshot", r.snapshot.as_ref().map(|v| v.span().start)),
                ("connection", r.connection.as_ref().map(|v| v.span().start)),
                ("keys", r.keys.as_ref().map(|v| v.span().start)),
                ("order_ids", r.order_ids.as_ref().map(|v| v.span().start)),
                ("server", r.server.as_ref().map(|v| v.span().start)),
                (
                    "persistence",
                    r.persistence.as_ref().map(|v| v.span().start),
                ),
            ];
            for (option, at) in options {
                if let (Some(at), false) = (at, supported.contains(&option)) {
                    return Err(self.loc.key_of(
                        at,
                        format!("{key}.{option}"),
                        format!(
                            "`{option}` is not an option of {}; {} supports {}",
                            kind.as_str(),
                            kind.as_str(),
                            quoted_list(supported)
                        ),
                    ));
                }
            }
            let mut opts = BackendOptions::default();
            if let Some(rtt) = &r.rtt {
                opts.rtt = self.capped_duration(
                    rtt,
                    &format!("{key}.rtt"),
                    MAX_RTT,
                    "the simulated round trip is added to every call, so a longer one makes even a small schedule take hours",
                )?;
            }
            if let Some(share) = &r.late_replies {
                let value = *share.get_ref();
                if !(0.0..=1.0).contains(&value) {
                    return Err(self.loc.span(
                        share.span(),
                        format!("{key}.late_replies"),
                        format!("`late_replies` is a share of calls from 0 to 1, not {value}; write e.g. `late_replies = 0.05`"),
                    ));
                }
                opts.late_replies = value;
            }
            if let Some(late) = &r.late_reply {
                opts.late_reply = self.capped_duration(
                    late,
                    &format!("{key}.late_reply"),
                    MAX_RTT,
                    "a reply held back that long keeps the run open for as long after its last order",
                )?;
                if opts.late_replies == 0.0 {
                    return Err(self.loc.key_of(
                        late.span().start,
                        format!("{key}.late_reply"),
                        "`late_reply` says how late the late replies are, and `late_replies` (their share of calls) is 0, so no reply would be late; add e.g. `late_replies = 0.05`",
                    ));
                }
            }
            if let Some(pool) = &r.pool {
                opts.pool = self.int(pool, &format!("{key}.pool"), 1, 64, " connections")? as u32;
            }
            if let Some(bt) = &r.busy_timeout {
                opts.busy_timeout = self.capped_duration(
                    bt,
                    &format!("{key}.busy_timeout"),
                    MAX_BUSY_TIMEOUT,
                    "SQLite takes it as a 32-bit count of milliseconds (the driver fails from 2^31 ms, about 24.8 days), and a writer waiting an hour for the lock is a stuck run, not a measurement",
                )?;
            }
            if let Some(size) = &r.batch_size {
                opts.batch_size = self.int(
                    size,
                    &format!("{key}.batch_size"),
                    1,
                    MAX_BATCH_SIZE as i64,
                    " orders per batch",
                )? as u32;
            }
            if let Some(wait) = &r.batch_wait {
                opts.batch_wait = self.capped_duration(
                    wait,
                    &format!("{key}.batch_wait"),
                    MAX_BATCH_WAIT,
                    "every order of a batch may wait that long before it is even looked at, which makes a slow queue, not a batch",
                )?;
                if opts.batch_wait >= timeout {
                    return Err(self.loc.key_of(
                        wait.span().start,
                        format!("{key}.batch_wait"),
                        format!(
                            "`batch_wait` ({:?}) must be shorter than the scenario's `timeout` ({timeout:?}): a batch may wait that long before it is sent, so its clients would time out first",
                            opts.batch_wait
                        ),
                    ));
                }
            }
            self.server_options(kind, r, &key, table_at, skus, &mut opts)?;
            let (name, name_at, defaulted) = match &r.name {
                None => (default_name(kind, &opts), kind_raw.span().start, true),
                Some(n) => {
                    let value = n.get_ref();
                    let ok = !value.is_empty()
                        && value.chars().all(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '-')
                        });
                    if !ok {
                        return Err(self.loc.span(
                            n.span(),
                            format!("{key}.name"),
                            format!("invalid backend name {value:?}: use only letters, digits, `_`, `.`, `@` and `-`"),
                        ));
                    }
                    (value.clone(), n.span().start, false)
                }
            };
            if let Some(&(first, first_at)) = names.get(&name) {
                let (line, _) = line_column(self.loc.text, first_at);
                let hint = if defaulted {
                    " (a backend without `name` is named after its kind, and a -tx one after its isolation too)"
                } else {
                    ""
                };
                return Err(self.loc.at(
                    name_at,
                    format!("{key}.name"),
                    format!(
                        "duplicate backend name {name:?}{hint}: backend[{first}] at line {line} already has it; give one of them a distinct `name`"
                    ),
                ));
            }
            names.insert(name.clone(), (i, name_at));
            out.push(BackendSpec {
                name,
                kind,
                options: opts,
            });
        }
        Ok(out)
    }
}

/// A backend's name when the scenario gives none: its kind, and for the
/// `-tx` kinds its isolation level too (`postgres-tx@serializable`).
fn default_name(kind: BackendKind, opts: &BackendOptions) -> String {
    match kind {
        BackendKind::PostgresTx | BackendKind::MysqlTx => {
            format!("{}@{}", kind.as_str(), opts.isolation.as_str())
        }
        _ => kind.as_str().to_string(),
    }
}
