-- The settings that change the answer, as this session sees them, for
-- run.json's environment. No binds. Variables the server lacks (MariaDB has
-- tx_isolation and max_statement_time, MySQL 8 transaction_isolation and
-- max_execution_time) are simply absent from the result.
SHOW SESSION VARIABLES WHERE Variable_name IN (
    'version',
    'transaction_isolation',
    'tx_isolation',
    'max_connections',
    'innodb_flush_log_at_trx_commit',
    'innodb_snapshot_isolation',
    'max_statement_time',
    'max_execution_time',
    'innodb_lock_wait_timeout'
)
