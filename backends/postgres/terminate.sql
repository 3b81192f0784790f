-- Last resort when the run will not go quiet. $1 the pids recorded at connect
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY($1)
