-- One marker row per namespace a run creates, so an operator can tell
-- atpsim's leftovers (from --keep or a killed run) from anything else.
CREATE TABLE IF NOT EXISTS atpsim_meta (
    run_id     VARCHAR(64) NOT NULL PRIMARY KEY,
    backend    TEXT NOT NULL,
    tool       TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE = InnoDB
