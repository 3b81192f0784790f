-- Sessions of the run still on the server. No binds: the caller appends the
-- ids recorded at connect as an integer list, `(12, 13, ...)`. The server
-- hands out connection ids in increasing order: one never names a later session.
SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID IN
