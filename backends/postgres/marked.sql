-- Whether namespace $1 carries its marker row: only then are its tables dropped.
SELECT count(*) FROM atpsim_meta WHERE run_id = $1
