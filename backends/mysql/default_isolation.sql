-- The server's default isolation level (global, not the session's). No binds.
-- MySQL 8 and MariaDB 11.1+ name it transaction_isolation; older MariaDB
-- only tx_isolation.
SHOW GLOBAL VARIABLES WHERE Variable_name IN ('transaction_isolation', 'tx_isolation')
