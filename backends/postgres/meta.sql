-- One marker row per namespace a run creates, so an operator can tell
-- atpsim's leftovers (from --keep or a killed run) from anything else.
CREATE TABLE IF NOT EXISTS atpsim_meta (
    run_id     text PRIMARY KEY,
    backend    text NOT NULL,
    tool       text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now()
)
