//! The statements of the PostgreSQL backends, read from `backends/postgres/`
//! at build time and rendered for one run's namespace.

use crate::backend::sql::template::{render_one, Dialect};

macro_rules! file {
    ($name:literal) => {
        include_str!(concat!("../../../backends/postgres/", $name, ".sql"))
    };
}

/// Statements that do not name a namespace table.
pub const META: &str = file!("meta");
pub const MARK: &str = file!("mark");
pub const UNMARK: &str = file!("unmark");
pub const TABLES: &str = file!("tables");
pub const META_COLUMNS: &str = file!("meta_columns");
pub const MARKED: &str = file!("marked");
pub const SESSIONS: &str = file!("sessions");
pub const TERMINATE: &str = file!("terminate");
pub const FREE_SLOTS: &str = file!("free_slots");
pub const SETTINGS: &str = file!("settings");
pub const ADVISORY_LOCK: &str = file!("advisory_lock");

/// Statements over the namespace's tables, rendered once per run.
pub struct Statements {
    pub schema: String,
    pub load: String,
    pub reset: String,
    pub naive_read: String,
    pub naive_write: String,
    pub atomic: String,
    pub for_update_read: String,
    pub snapshot: String,
    pub bucket_schema: String,
    pub bucket_load: String,
    pub bucket_reset: String,
    pub bucket_reserve: String,
    pub bucket_snapshot: String,
    pub batch_reserve: String,
    pub batch_take: String,
    pub reservations_schema: String,
    pub reservations_reset: String,
    pub atomic_with_id: String,
    pub record_reservation: String,
    pub stored_units: String,
    pub stored_found: String,
}

impl Statements {
    pub fn render(run_id: &str) -> Self {
        let r = |text: &str| render_one(text, run_id, Dialect::Postgres);
        Statements {
            schema: r(file!("schema")),
            load: r(file!("load")),
            reset: r(file!("reset")),
            naive_read: r(file!("naive_read")),
            naive_write: r(file!("naive_write")),
            atomic: r(file!("atomic")),
            for_update_read: r(file!("for_update_read")),
            snapshot: r(file!("snapshot")),
            bucket_schema: r(file!("bucket_schema")),
            bucket_load: r(file!("bucket_load")),
            bucket_reset: r(file!("bucket_reset")),
            bucket_reserve: r(file!("bucket_reserve")),
            bucket_snapshot: r(file!("bucket_snapshot")),
            batch_reserve: r(file!("batch_reserve")),
            batch_take: r(file!("batch_take")),
            reservations_schema: r(file!("reservations_schema")),
            reservations_reset: r(file!("reservations_reset")),
            atomic_with_id: r(file!("atomic_with_id")),
            record_reservation: r(file!("record_reservation")),
            stored_units: r(file!("stored_units")),
            stored_found: r(file!("stored_found")),
        }
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
        assert!(s.bucket_reserve.contains("atpsim_bucket_abcdefghijkl"));
        assert!(!s.schema.contains("{{"));
    }
}
