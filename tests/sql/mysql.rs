//! MariaDB/MySQL backends against the real server.
