-- Last resort when the run will not go quiet. $1 the pids recorded at connect,
-- $2 the run's application_name
SELECT pg_terminate_backend(pid) FROM pg_stat_activity
 WHERE pid = ANY($1) AND application_name = $2
