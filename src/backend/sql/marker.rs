//! What a server backend checks before it claims a namespace: the marker
//! table `atpsim_meta` is atpsim's own (its columns, not a foreign table of
//! that name), and no table of the new namespace exists yet.
//!
//! Invariant: a backend drops, empties or writes only tables it created in
//! a namespace whose marker row it wrote; a foreign `atpsim_meta` or a table
//! already bearing the namespace's name is refused before anything is
//! written, so the cleanup after a failed open never reaches it.

/// The columns of atpsim's `atpsim_meta`, in order (`backends/*/meta.sql`).
pub const META_COLUMNS: [&str; 4] = ["run_id", "backend", "tool", "started_at"];

/// Refuses a marker table that is not atpsim's, by its columns as the
/// server lists them (in order); `columns` is empty when there is none.
pub fn check_meta_columns(columns: &[String]) -> Result<(), String> {
    let ours = columns.len() == META_COLUMNS.len()
        && columns
            .iter()
            .zip(META_COLUMNS)
            .all(|(c, m)| c.eq_ignore_ascii_case(m));
    if columns.is_empty() || ours {
        return Ok(());
    }
    Err(format!(
        "a table `atpsim_meta` exists that atpsim did not create (columns {}; atpsim's has {}); \
         atpsim keeps its marker rows there and will not write into another table of that name: \
         rename that table, or point `url` at another database or schema",
        columns.join(", "),
        META_COLUMNS.join(", ")
    ))
}

/// Refuses a namespace some of whose tables already exist: they are not
/// this run's, and dropping the namespace would drop them.
pub fn check_namespace_free(existing: &[String], run_id: &str) -> Result<(), String> {
    if existing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "tables of the new namespace {run_id} already exist ({}); atpsim drops only tables it \
         created, so it leaves them and stops: run again for a fresh namespace",
        existing.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn atpsims_own_marker_table_or_none_is_accepted() {
        assert_eq!(check_meta_columns(&[]), Ok(()));
        assert_eq!(
            check_meta_columns(&names(&["run_id", "backend", "tool", "started_at"])),
            Ok(())
        );
        // information_schema may answer in upper case.
        assert_eq!(
            check_meta_columns(&names(&["RUN_ID", "BACKEND", "TOOL", "STARTED_AT"])),
            Ok(())
        );
    }

    #[test]
    fn a_foreign_marker_table_is_refused_naming_its_columns() {
        for columns in [
            names(&["id", "note"]),
            names(&["run_id", "backend", "tool"]),
            names(&["run_id", "backend", "tool", "started_at", "owner"]),
        ] {
            let e = check_meta_columns(&columns).unwrap_err();
            assert!(e.contains("did not create"), "{e}");
            assert!(e.contains(&columns.join(", ")), "{e}");
        }
    }

    #[test]
    fn a_namespace_with_tables_already_is_refused() {
        assert_eq!(check_namespace_free(&[], "abc"), Ok(()));
        let e = check_namespace_free(&names(&["atpsim_stock_abc"]), "abc").unwrap_err();
        assert!(e.contains("atpsim_stock_abc"), "{e}");
    }
}
