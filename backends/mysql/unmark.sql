-- Binds: run id
DELETE FROM atpsim_meta WHERE run_id = ?
