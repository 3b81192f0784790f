//! What the SQL backends share: templates, namespaces, server sessions.
//!
//! Invariant: every table a server backend creates lives in its run's
//! namespace (`atpsim_<name>_<run id>`), so nothing else in the database is
//! touched and parallel runs never collide.

pub mod attempt;
pub mod checkout;
pub mod custom;
pub mod marker;
pub mod namespace;
pub mod order_statements;
pub mod orders;
pub mod session;
pub mod stall;
pub mod stored_ids;
pub mod template;
