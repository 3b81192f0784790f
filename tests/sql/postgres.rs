//! PostgreSQL backends against the real server.
