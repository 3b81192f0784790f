-- The settings that change the answer, for run.json's environment.
SELECT current_setting('server_version'),
       current_setting('default_transaction_isolation'),
       current_setting('max_connections'),
       current_setting('synchronous_commit'),
       current_setting('statement_timeout'),
       current_setting('lock_timeout'),
       current_setting('idle_in_transaction_session_timeout')
