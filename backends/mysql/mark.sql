-- Binds: run id, backend name, tool and version
INSERT INTO atpsim_meta (run_id, backend, tool) VALUES (?, ?, ?)
