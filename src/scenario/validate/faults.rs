//! `[[fault]]` tables: latency added on the call path, or the backend's
//! server sessions killed, at a time of the run.
//!
//! Invariant: a fault carries only the keys of its kind, begins before the
//! schedule's end, has a unique name, names only backends of the run, and
//! kills connections only of backends that have server sessions; the
//! faults come out sorted by `at`, ties in file order.

use super::text::{duration as duration_text, quoted_list};
use super::{Result, Validator};
use crate::scenario::model::*;
use crate::scenario::raw::RawFault;
use crate::scenario::{Fault, FaultAction, MAX_FAULT_NAME};
use std::time::Duration;
use toml::Spanned;

/// The fault kinds, in the order the documentation lists them.
const FAULT_KINDS: [&str; 5] = [
    "latency",
    "kill_connections",
    "stall_row",
    "pause_writes",
    "restart_server",
];
/// Why a fault's `duration` is capped like the run's other settings.
const DURATION_WHY: &str = "a fault is staged within a run, and no run setting may exceed an hour";
/// Why the added latency is capped like a memory backend's `rtt`.
const LATENCY_WHY: &str = "every attempt of the fault waits that long, so a longer one only holds the run open; to lose requests, lower `timeout` instead";

impl Validator<'_> {
    /// `[[fault]]` tables. `phases` fix the schedule's end, `backends` the
    /// names a fault may name; `checkout_at` is where a `[checkout]` or
    /// `[[event]]` begins, which faults do not combine with.
    pub(super) fn faults(
        &self,
        raw: &[Spanned<RawFault>],
        phases: &[Phase],
        backends: &[BackendSpec],
        checkout_at: Option<usize>,
    ) -> Result<Vec<Fault>> {
        let Some(first) = raw.first() else {
            return Ok(Vec::new());
        };
        if checkout_at.is_some() {
            return Err(self.loc.at(
                first.span().start,
                "fault[0]",
                "`[[fault]]` does not combine with `[checkout]` or `[[event]]`: faults are staged on plain reservation runs only; move the faults to a scenario without a checkout",
            ));
        }
        let end_ns = phases.iter().map(Phase::end_ns).max().unwrap_or(0);
        let mut faults: Vec<Fault> = Vec::with_capacity(raw.len());
        for (i, f) in raw.iter().enumerate() {
            let key = format!("fault[{i}]");
            let fault = self.fault(&key, f, end_ns, backends)?;
            if let Some(other) = faults.iter().position(|o| o.name == fault.name) {
                let at = f
                    .get_ref()
                    .name
                    .as_ref()
                    .map_or(f.span().start, |n| n.span().start);
                let hint = if f.get_ref().name.is_none() {
                    " (the default name, `<kind>@<at>`)"
                } else {
                    ""
                };
                return Err(self.loc.span(
                    at..at,
                    format!("{key}.name"),
                    format!(
                        "fault name {:?}{hint} is already used by fault[{other}]; names label the windows they mark, so give each fault its own `name`",
                        fault.name
                    ),
                ));
            }
            faults.push(fault);
        }
        // Stable: faults at the same time keep their order in the file.
        faults.sort_by_key(|f| f.at);
        Ok(faults)
    }

    fn fault(
        &self,
        key: &str,
        raw: &Spanned<RawFault>,
        end_ns: u64,
        backends: &[BackendSpec],
    ) -> Result<Fault> {
        let table_at = raw.span().start;
        let f = raw.get_ref();
        let Some(kind_raw) = &f.kind else {
            return Err(self.missing(
                table_at,
                &format!("{key}.kind"),
                format!(
                    "missing `kind`: every [[fault]] needs one of {}",
                    quoted_list(&FAULT_KINDS)
                ),
            ));
        };
        let kind = kind_raw.get_ref().as_str();
        if !FAULT_KINDS.contains(&kind) {
            return Err(self.loc.span(
                kind_raw.span(),
                format!("{key}.kind"),
                format!(
                    "unknown fault kind {kind:?}; expected one of {}",
                    quoted_list(&FAULT_KINDS)
                ),
            ));
        }
        if kind != "latency" {
            let lasts = matches!(kind, "stall_row" | "pause_writes");
            let latency_only = [
                ("duration", f.duration.as_ref().filter(|_| !lasts)),
                ("latency", f.latency.as_ref()),
                ("jitter", f.jitter.as_ref()),
            ];
            let takes = if lasts {
                "`at` and `duration`"
            } else {
                "only `at`"
            };
            for (k, v) in latency_only {
                if let Some(v) = v {
                    return Err(self.loc.key_of(
                        v.span().start,
                        format!("{key}.{k}"),
                        format!(
                            "`{k}` does not apply to kind = {kind:?}, which takes {takes}, and optionally `name` and `backends`"
                        ),
                    ));
                }
            }
        }
        let Some(at_raw) = &f.at else {
            return Err(self.missing(
                table_at,
                &format!("{key}.at"),
                "missing `at`: say when the fault begins, as an offset from t0, e.g. `at = \"1s\"`"
                    .into(),
            ));
        };
        let at = self.capped_duration(
            at_raw,
            &format!("{key}.at"),
            MAX_PHASE_END,
            super::phases::PHASE_END_WHY,
        )?;
        if at.as_nanos() as u64 >= end_ns {
            return Err(self.loc.span(
                at_raw.span(),
                format!("{key}.at"),
                format!(
                    "`at` is {}, at or after the schedule's end ({}): the fault would meet no order; move it before the last phase ends",
                    duration_text_or_zero(at),
                    duration_text_or_zero(Duration::from_nanos(end_ns))
                ),
            ));
        }
        let action = match kind {
            "latency" => self.latency_fault(key, f, table_at)?,
            "stall_row" => FaultAction::StallRow {
                duration: self.fault_duration(key, f, table_at, "the row stays locked")?,
            },
            "pause_writes" => FaultAction::PauseWrites {
                duration: self.fault_duration(key, f, table_at, "writes are held")?,
            },
            "restart_server" => FaultAction::RestartServer,
            _ => FaultAction::KillConnections,
        };
        let targets = self.fault_backends(key, f, backends)?;
        self.can_stage(key, f, kind_raw, &action, &targets, backends)?;
        let name = match &f.name {
            Some(n) => self.fault_name(key, n)?,
            None => format!("{kind}@{}", duration_text_or_zero(at)),
        };
        Ok(Fault {
            name,
            at,
            action,
            backends: targets,
        })
    }

    /// The `duration` a lasting fault needs; `what` says what lasts.
    fn fault_duration(
        &self,
        key: &str,
        f: &RawFault,
        table_at: usize,
        what: &str,
    ) -> Result<Duration> {
        let Some(d) = &f.duration else {
            return Err(self.missing(
                table_at,
                &format!("{key}.duration"),
                format!("missing `duration`: how long {what}; add e.g. `duration = \"500ms\"`"),
            ));
        };
        self.positive_duration(
            Some(d),
            &format!("{key}.duration"),
            "500ms",
            MAX_RUN_SETTING,
            DURATION_WHY,
        )
    }

    fn latency_fault(&self, key: &str, f: &RawFault, table_at: usize) -> Result<FaultAction> {
        let Some(d) = &f.duration else {
            return Err(self.missing(
                table_at,
                &format!("{key}.duration"),
                "a latency fault needs `duration`, how long it lasts; add e.g. `duration = \"2s\"`"
                    .into(),
            ));
        };
        let duration = self.positive_duration(
            Some(d),
            &format!("{key}.duration"),
            "2s",
            MAX_RUN_SETTING,
            DURATION_WHY,
        )?;
        let Some(l) = &f.latency else {
            return Err(self.missing(
                table_at,
                &format!("{key}.latency"),
                "a latency fault needs `latency`, the delay added to every call; add e.g. `latency = \"50ms\"`"
                    .into(),
            ));
        };
        let latency = self.positive_duration(
            Some(l),
            &format!("{key}.latency"),
            "50ms",
            MAX_RTT,
            LATENCY_WHY,
        )?;
        let jitter = match &f.jitter {
            None => Duration::ZERO,
            Some(j) => {
                let jitter = self.duration(j, &format!("{key}.jitter"))?;
                if jitter > latency {
                    return Err(self.loc.span(
                        j.span(),
                        format!("{key}.jitter"),
                        format!(
                            "`jitter` is {}, above `latency` ({}): the delay is drawn from latency ± jitter and cannot be negative; lower it to at most the latency",
                            duration_text_or_zero(jitter),
                            duration_text_or_zero(latency)
                        ),
                    ));
                }
                jitter
            }
        };
        Ok(FaultAction::Latency {
            duration,
            latency,
            jitter,
        })
    }

    /// The backends named in `backends`, or every backend of the run.
    fn fault_backends(
        &self,
        key: &str,
        f: &RawFault,
        backends: &[BackendSpec],
    ) -> Result<Vec<String>> {
        let names: Vec<&str> = backends.iter().map(|b| b.name.as_str()).collect();
        let Some(list) = &f.backends else {
            return Ok(names.iter().map(|n| n.to_string()).collect());
        };
        if list.get_ref().is_empty() {
            return Err(self.loc.span(
                list.span(),
                format!("{key}.backends"),
                "`backends` is empty, so the fault would apply to nothing; name at least one backend, or leave the key out to apply it to every backend",
            ));
        }
        let mut out: Vec<String> = Vec::new();
        for (j, b) in list.get_ref().iter().enumerate() {
            let name = b.get_ref();
            if !names.contains(&name.as_str()) {
                return Err(self.loc.span(
                    b.span(),
                    format!("{key}.backends[{j}]"),
                    format!(
                        "unknown backend {name:?}; the run's backends are {}",
                        quoted_list(&names)
                    ),
                ));
            }
            if out.contains(name) {
                return Err(self.loc.span(
                    b.span(),
                    format!("{key}.backends[{j}]"),
                    format!("backend {name:?} is listed twice; name each backend once"),
                ));
            }
            out.push(name.clone());
        }
        Ok(out)
    }

    /// Refuses a fault on a backend that cannot have it: a kill without
    /// server sessions, a stall without a stock row to lock, a pause or a
    /// restart of a server atpsim did not start.
    fn can_stage(
        &self,
        key: &str,
        f: &RawFault,
        kind_raw: &Spanned<String>,
        action: &FaultAction,
        targets: &[String],
        backends: &[BackendSpec],
    ) -> Result<()> {
        for target in targets {
            let spec = backends
                .iter()
                .find(|b| &b.name == target)
                .expect("targets are the run's backends");
            let why = match action {
                FaultAction::Latency { .. } => None,
                FaultAction::KillConnections => (!spec.kind.can_kill_connections()).then_some(
                    "keeps its stock in process and has no server sessions to kill; `kill_connections` applies to PostgreSQL, MariaDB/MySQL and Redis backends only",
                ),
                FaultAction::StallRow { .. } => (!spec.kind.can_stall_row()).then_some(
                    "has no stock row of atpsim's own to lock (the `atpsim_stock_<run id>` table); `stall_row` applies to the PostgreSQL and MariaDB/MySQL kinds other than sharded and custom",
                ),
                FaultAction::PauseWrites { .. } | FaultAction::RestartServer => {
                    let redis = spec.kind.server() == Some(crate::scenario::Server::Redis);
                    spec.options.private_redis.is_none().then_some(if redis {
                        "is not on a private redis-server; server-wide faults run only on a server atpsim starts for the run, never on a shared one: give that backend `server = \"private\"`"
                    } else {
                        "is not a Redis backend; server-wide faults run only on a private redis-server that atpsim starts for the run (a Redis kind with `server = \"private\"`)"
                    })
                }
            };
            let Some(why) = why else {
                continue;
            };
            // Point at the name when the fault lists it, else at the kind.
            let listed = f.backends.as_ref().and_then(|list| {
                list.get_ref()
                    .iter()
                    .enumerate()
                    .find(|(_, b)| b.get_ref() == target)
            });
            // Listed: drop it from the list. Not listed: the fault applies
            // to every backend, so a list of the others is the way out.
            let (at, at_key, fix) = match listed {
                Some((j, b)) => (
                    b.span().start,
                    format!("{key}.backends[{j}]"),
                    "take it out of `backends`",
                ),
                None => (
                    kind_raw.span().start,
                    format!("{key}.kind"),
                    "name the backends the fault applies to in `backends = [...]`",
                ),
            };
            // The kind in brackets only when the name does not say it.
            let kind = spec.kind.as_str();
            let named = if target == kind {
                format!("backend {target:?}")
            } else {
                format!("backend {target:?} ({kind})")
            };
            return Err(self.loc.at(at, at_key, format!("{named} {why} — {fix}")));
        }
        Ok(())
    }

    fn fault_name(&self, key: &str, n: &Spanned<String>) -> Result<String> {
        let value = n.get_ref();
        let charset_ok = !value.is_empty()
            && value.chars().count() <= MAX_FAULT_NAME
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '@' | ':'));
        if !charset_ok {
            return Err(self.loc.span(
                n.span(),
                format!("{key}.name"),
                format!(
                    "invalid fault name {value:?}: it labels windows, charts and CSV cells, so use 1 to {MAX_FAULT_NAME} letters, digits, `_`, `.`, `-`, `@` and `:`"
                ),
            ));
        }
        Ok(value.clone())
    }
}

/// A duration as the messages and default names write it; `0ms` for zero.
fn duration_text_or_zero(d: Duration) -> String {
    if d.is_zero() {
        "0ms".to_string()
    } else {
        duration_text(d)
    }
}
