-- $1 run id, $2 backend name, $3 tool and version
INSERT INTO atpsim_meta (run_id, backend, tool) VALUES ($1, $2, $3)
