//! The statements of the MariaDB/MySQL backends, read from `backends/mysql/`
//! at build time and rendered for one run's namespace; and the few that are
//! formatted from numbers (session settings, id lists), which the server
//! takes unprepared.

use super::batch::Batch;
use crate::backend::sql::template::{render_one, Dialect};
use crate::scenario::Isolation;
use std::time::Duration;

macro_rules! file {
    ($name:literal) => {
        include_str!(concat!("../../../backends/mysql/", $name, ".sql"))
    };
}

/// Statements that do not name a namespace table.
pub const META: &str = file!("meta");
pub const MARK: &str = file!("mark");
pub const UNMARK: &str = file!("unmark");
pub const TABLES: &str = file!("tables");
pub const META_COLUMNS: &str = file!("meta_columns");
pub const MARKED: &str = file!("marked");
pub const FREE_SLOTS: &str = file!("free_slots");
pub const SETTINGS: &str = file!("settings");
pub const DEFAULT_ISOLATION: &str = file!("default_isolation");
const SESSIONS: &str = file!("sessions");
const TERMINATE: &str = file!("terminate");

/// How many of `ids` are still on the server. `None` when there are none to
/// ask about (`IN ()` is not SQL).
pub fn sessions(ids: &[i64]) -> Option<String> {
    if ids.is_empty() {
        return None;
    }
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    Some(format!("{} ({})", SESSIONS.trim_end(), list.join(", ")))
}

/// End the session `id` (and whatever it is running).
pub fn terminate(id: i64) -> String {
    format!("{} {id}", TERMINATE.trim_end())
}

/// The server-side timeouts of a client session, below the client's own:
/// MariaDB's `max_statement_time` (seconds, fractional) and InnoDB's lock
/// wait (whole seconds, at least 1).
pub fn session_timeouts(server_timeout: Duration) -> String {
    format!(
        "SET SESSION max_statement_time = {:.3}, innodb_lock_wait_timeout = {}",
        server_timeout.as_secs_f64().max(0.001),
        lock_wait_secs(server_timeout)
    )
}

/// The same on MySQL, which has no `max_statement_time`: its
/// `max_execution_time` (milliseconds) bounds read-only SELECTs only.
pub fn session_timeouts_mysql(server_timeout: Duration) -> String {
    format!(
        "SET SESSION max_execution_time = {}, innodb_lock_wait_timeout = {}",
        server_timeout.as_millis().max(1),
        lock_wait_secs(server_timeout)
    )
}

fn lock_wait_secs(server_timeout: Duration) -> u64 {
    server_timeout.as_secs().max(1)
}

/// The isolation level every transaction of the session runs at.
pub fn session_isolation(isolation: Isolation) -> String {
    format!(
        "SET SESSION TRANSACTION ISOLATION LEVEL {}",
        isolation.sql()
    )
}

/// The values `atomic_with_id` takes, in order.
pub const ATOMIC_WITH_ID_VALUES: [&str; 3] = ["order", "sku", "qty"];

/// Statements over the namespace's tables, rendered once per run.
pub struct Statements {
    pub schema: String,
    pub reset: String,
    pub naive_read: String,
    pub naive_write: String,
    pub atomic: String,
    /// `atomic` and the order's id in one round trip, values
    /// `ATOMIC_WITH_ID_VALUES`.
    pub atomic_with_id: Batch,
    pub for_update_read: String,
    pub snapshot: String,
    pub reservations_schema: String,
    pub reservations_reset: String,
    pub record_reservation: String,
    pub stored_units: String,
    /// `… IN`, to be followed by a list of ids (`stored_found`).
    stored_found_head: String,
    /// `INSERT … VALUES`, to be followed by `rows` tuples.
    load_head: String,
    /// One `( … )` tuple of the load, with its placeholders.
    load_row: String,
}

impl Statements {
    pub fn render(run_id: &str) -> Self {
        let r = |text: &str| render_one(text, run_id, Dialect::Mysql);
        let load = r(file!("load"));
        let (head, row) = load
            .rsplit_once("VALUES")
            .expect("load.sql ends with VALUES (…)");
        Statements {
            schema: r(file!("schema")),
            reset: r(file!("reset")),
            naive_read: r(file!("naive_read")),
            naive_write: r(file!("naive_write")),
            atomic: r(file!("atomic")),
            atomic_with_id: Batch::render(file!("atomic_with_id"), run_id, &ATOMIC_WITH_ID_VALUES),
            for_update_read: r(file!("for_update_read")),
            snapshot: r(file!("snapshot")),
            reservations_schema: r(file!("reservations_schema")),
            reservations_reset: r(file!("reservations_reset")),
            record_reservation: r(file!("record_reservation")),
            stored_units: r(file!("stored_units")),
            stored_found_head: r(file!("stored_found")).trim_end().to_string(),
            load_head: format!("{head}VALUES"),
            load_row: row.trim().to_string(),
        }
    }

    /// Which of `ids` (not empty) are stored: the list is formatted from
    /// integers, since the server takes no array parameter.
    pub fn stored_found(&self, ids: &[u64]) -> String {
        let list: Vec<String> = ids.iter().map(u64::to_string).collect();
        format!("{} ({})", self.stored_found_head, list.join(", "))
    }

    /// The load statement for `rows` rows at once.
    pub fn load(&self, rows: usize) -> String {
        let tuples = vec![self.load_row.as_str(); rows];
        format!("{} {}", self.load_head, tuples.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_statement_renders_into_the_namespace() {
        let s = Statements::render("abcdefghijkl");
        assert!(
            s.atomic.contains("atpsim_stock_abcdefghijkl"),
            "{}",
            s.atomic
        );
        assert_eq!(s.atomic.matches('?').count(), 3);
        assert!(!s.schema.contains("{{"));
    }

    #[test]
    fn the_load_repeats_its_row_per_sku() {
        let s = Statements::render("abcdefghijkl");
        let load = s.load(3);
        assert!(
            load.contains("INSERT INTO atpsim_stock_abcdefghijkl"),
            "{load}"
        );
        assert!(
            load.ends_with("VALUES (?, ?, ?, 0), (?, ?, ?, 0), (?, ?, ?, 0)"),
            "{load}"
        );
    }

    #[test]
    fn ids_and_timeouts_are_formatted_as_numbers() {
        assert_eq!(sessions(&[]), None);
        assert!(sessions(&[12, 13])
            .unwrap()
            .ends_with("WHERE ID IN (12, 13)"));
        assert!(terminate(12).ends_with("KILL CONNECTION 12"));
        assert_eq!(
            session_timeouts(Duration::from_millis(1800)),
            "SET SESSION max_statement_time = 1.800, innodb_lock_wait_timeout = 1"
        );
        assert!(session_timeouts(Duration::from_millis(9000)).ends_with("timeout = 9"));
        assert!(session_timeouts(Duration::from_millis(1)).contains("= 0.001,"));
        let s = Statements::render("abcdefghijkl");
        assert!(s
            .stored_found(&[7, 9])
            .ends_with("WHERE order_id IN (7, 9)"));
    }
}
