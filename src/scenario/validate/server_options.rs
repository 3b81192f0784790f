//! Options of the server backends: `url`, `isolation`, `buckets`, the
//! SQL files of the `-custom` kinds and the Redis kinds' `connection`.
//!
//! Invariant: a validated server backend carries a URL that parses, with the
//! right scheme, and a custom one carries SQL files that were read and whose
//! placeholders all name something atpsim fills in.

use super::text::quoted_list;
use super::{Result, Validator};
use crate::backend::sql::custom;
use crate::backend::sql::template;
use crate::scenario::model::*;
use crate::scenario::raw::RawBackend;
use toml::Spanned;

impl Validator<'_> {
    pub(super) fn server_options(
        &self,
        kind: BackendKind,
        r: &RawBackend,
        key: &str,
        table_at: usize,
        skus: &[Sku],
        opts: &mut BackendOptions,
    ) -> Result<()> {
        let Some(server) = kind.server() else {
            return Ok(());
        };
        opts.private_redis = self.private_redis(r, key)?;
        if opts.private_redis.is_none() {
            opts.url = self.url(server, r.url.as_ref(), key, table_at)?;
        }
        opts.isolation = Isolation::server_default(server);
        if let Some(iso) = &r.isolation {
            let levels: Vec<&str> = Isolation::ALL.iter().map(|i| i.as_str()).collect();
            opts.isolation = Isolation::parse(iso.get_ref()).ok_or_else(|| {
                self.loc.span(
                    iso.span(),
                    format!("{key}.isolation"),
                    format!(
                        "unknown isolation level {:?}; expected one of {}",
                        iso.get_ref(),
                        quoted_list(&levels)
                    ),
                )
            })?;
        }
        if let Some(ids) = &r.order_ids {
            opts.order_ids = *ids.get_ref();
        }
        if let Some(b) = &r.buckets {
            opts.buckets = self.int(b, &format!("{key}.buckets"), 1, 1024, " bucket rows")? as u32;
        }
        if let Some(mode) = &r.connection {
            let modes: Vec<&str> = ConnectionMode::ALL.iter().map(|m| m.as_str()).collect();
            opts.connection = ConnectionMode::parse(mode.get_ref()).ok_or_else(|| {
                self.loc.span(
                    mode.span(),
                    format!("{key}.connection"),
                    format!(
                        "unknown connection mode {:?}; expected one of {}",
                        mode.get_ref(),
                        quoted_list(&modes)
                    ),
                )
            })?;
            if kind == BackendKind::RedisWatch && opts.connection == ConnectionMode::Multiplexed {
                return Err(self.loc.span(
                    mode.span(),
                    format!("{key}.connection"),
                    "redis-watch needs `connection = \"dedicated\"`: WATCH belongs to the \
                     connection, so on one connection shared by every client one client's \
                     MULTI/EXEC would run under another's WATCH (or its UNWATCH), and the check \
                     would no longer guard the write",
                ));
            }
        }
        if matches!(kind, BackendKind::PostgresCustom | BackendKind::MysqlCustom) {
            opts.custom = Some(CustomSql {
                schema: self.sql_file(r.schema.as_ref(), key, "schema", table_at)?,
                reset: self.sql_file(r.reset.as_ref(), key, "reset", table_at)?,
                reserve: self.sql_file(r.reserve.as_ref(), key, "reserve", table_at)?,
                snapshot: self.sql_file(r.snapshot.as_ref(), key, "snapshot", table_at)?,
            });
        }
        if kind == BackendKind::RedisCustom {
            opts.custom_lua = Some(self.custom_lua(r, key, table_at, skus)?);
        }
        Ok(())
    }

    /// `server = "private"` (with its `persistence`), or `None` for the
    /// server `url` names.
    fn private_redis(&self, r: &RawBackend, key: &str) -> Result<Option<Persistence>> {
        let private = match &r.server {
            None => false,
            Some(s) => match s.get_ref().as_str() {
                "shared" => false,
                "private" => true,
                other => {
                    return Err(self.loc.span(
                        s.span(),
                        format!("{key}.server"),
                        format!(
                            "unknown server {other:?}; expected \"shared\" (the one `url` names) \
                             or \"private\" (a redis-server atpsim starts for the run)"
                        ),
                    ))
                }
            },
        };
        if let (true, Some(url)) = (private, &r.url) {
            return Err(self.loc.span(
                url.span(),
                format!("{key}.url"),
                "`server = \"private\"` starts a redis-server of its own on a Unix socket; \
                 remove `url`, or `server`",
            ));
        }
        let persistence =
            match &r.persistence {
                None => Persistence::AofAlways,
                Some(p) if !private => return Err(self.loc.span(
                    p.span(),
                    format!("{key}.persistence"),
                    "`persistence` pins a private server's; atpsim does not reconfigure a shared \
                     one: add `server = \"private\"` or remove `persistence`",
                )),
                Some(p) => {
                    let all: Vec<&str> = Persistence::ALL.iter().map(|p| p.as_str()).collect();
                    Persistence::parse(p.get_ref()).ok_or_else(|| {
                        self.loc.span(
                            p.span(),
                            format!("{key}.persistence"),
                            format!(
                                "unknown persistence {:?}; expected one of {}",
                                p.get_ref(),
                                quoted_list(&all)
                            ),
                        )
                    })?
                }
            };
        Ok(private.then_some(persistence))
    }

    /// The scenario's `url`, else the server's environment variable, else the local server.
    fn url(
        &self,
        server: Server,
        raw: Option<&Spanned<String>>,
        key: &str,
        table_at: usize,
    ) -> Result<String> {
        let variable = server.url_variable();
        let (value, at, origin) = match raw {
            Some(u) => (u.get_ref().clone(), u.span().start, "`url`".to_string()),
            None => match std::env::var(variable) {
                Ok(v) if !v.trim().is_empty() => (v, table_at, format!("${variable}")),
                _ => return Ok(server.default_url().to_string()),
            },
        };
        let shown = crate::redact::url(&value);
        let parsed = url::Url::parse(&value).map_err(|e| {
            self.loc.at(
                at,
                format!("{key}.url"),
                // Not echoed: text that does not parse may hold a password.
                format!(
                    "{origin} is not a URL ({e}); expected e.g. {}",
                    server.default_url()
                ),
            )
        })?;
        if !server.schemes().contains(&parsed.scheme()) {
            return Err(self.loc.at(
                at,
                format!("{key}.url"),
                format!(
                    "{origin} {shown} is not a {} URL: its scheme must be {}",
                    server.as_str(),
                    quoted_list(server.schemes())
                ),
            ));
        }
        // The driver's own reading of the options (`sslmode`, `ssl-mode`, …):
        // a value it refuses is the scenario's fault, found before anything runs.
        if let Some(e) = driver_refusal(server, &value) {
            return Err(self.loc.at(
                at,
                format!("{key}.url"),
                format!("{origin} {shown}: {}", crate::redact::message(&e, &value)),
            ));
        }
        if server == Server::Redis {
            // The path is the database number; the driver refuses anything else only at connect.
            let db = parsed.path().trim_start_matches('/');
            if !db.is_empty() && db.parse::<u32>().map_or(true, |n| n > i32::MAX as u32) {
                return Err(self.loc.at(
                    at,
                    format!("{key}.url"),
                    format!(
                        "{origin} {shown}: the path is the database number, a whole number from 0 \
                         (e.g. {}), not {db:?}",
                        server.default_url()
                    ),
                ));
            }
        }
        Ok(value)
    }

    /// Read one SQL file of a custom backend, relative to the scenario file,
    /// and check its placeholders.
    fn sql_file(
        &self,
        raw: Option<&Spanned<String>>,
        key: &str,
        option: &str,
        table_at: usize,
    ) -> Result<SourceFile> {
        let full_key = format!("{key}.{option}");
        let Some(raw) = raw else {
            return Err(self.missing(
                table_at,
                &full_key,
                format!("missing `{option}`: a custom backend names its {option} SQL file (see backends/README.md)"),
            ));
        };
        let SourceFile { path, text } = self.source_file(raw, &full_key)?;
        let parsed = template::parse(&text, custom::params_of(option)).map_err(|e| {
            self.loc.span(
                raw.span(),
                &full_key,
                format!("{}:{}:{}: {}", path.display(), e.line, e.column, e.message),
            )
        })?;
        if option == "snapshot" && parsed.len() > 1 {
            return Err(self.loc.span(
                raw.span(),
                &full_key,
                format!(
                    "{}:{}: a snapshot is one statement returning (sku, reserved) rows; this file holds {}",
                    path.display(),
                    parsed[1].line,
                    parsed.len()
                ),
            ));
        }
        if option == "schema" {
            if let Some(line) = custom::literal_table(&parsed) {
                return Err(self.loc.span(
                    raw.span(),
                    &full_key,
                    format!(
                        "{}:{line}: CREATE TABLE names its table literally; write it as {{{{name}}}} so it lives in the run's namespace and is dropped with it",
                        path.display()
                    ),
                ));
            }
        }
        if parsed.is_empty() {
            return Err(self.loc.span(
                raw.span(),
                &full_key,
                format!("{} holds no SQL statement", path.display()),
            ));
        }
        Ok(SourceFile { path, text })
    }

    /// Read a file the scenario names, relative to the scenario file.
    pub(super) fn source_file(&self, raw: &Spanned<String>, full_key: &str) -> Result<SourceFile> {
        let base = self.loc.file.parent().unwrap_or(std::path::Path::new("."));
        let path = base.join(raw.get_ref());
        let text = std::fs::read_to_string(&path).map_err(|e| {
            self.loc.span(
                raw.span(),
                full_key,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        Ok(SourceFile { path, text })
    }
}

/// Why the SQL driver would refuse `url`'s options, if it would; `None` for
/// Redis, whose URL is checked above.
fn driver_refusal(server: Server, url: &str) -> Option<String> {
    use std::str::FromStr;
    let refused = match server {
        Server::Postgres => sqlx::postgres::PgConnectOptions::from_str(url).err(),
        Server::Mysql => sqlx::mysql::MySqlConnectOptions::from_str(url).err(),
        Server::Redis => None,
    }?;
    // sqlx wraps its configuration errors twice in the same words.
    let text = refused.to_string();
    Some(text.replace(
        "error with configuration: error with configuration: ",
        "error with configuration: ",
    ))
}
