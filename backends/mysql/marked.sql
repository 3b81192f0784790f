-- Whether a namespace carries its marker row: only then are its tables
-- dropped. Binds: run id
SELECT count(*) FROM atpsim_meta WHERE run_id = ?
