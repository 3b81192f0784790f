-- Sessions of the run still on the server. $1 the pids recorded at connect,
-- $2 the run's application_name (so a pid reused by another session is not counted)
SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1) AND application_name = $2
