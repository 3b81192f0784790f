-- Sessions of the run still on the server. $1 the pids recorded at connect
SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)
