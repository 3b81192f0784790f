-- atpsim's one table on SQLite: one row per SKU of the run's catalogue.
-- Signed columns: with an oversell buffer, on_hand - reserved may go negative.
CREATE TABLE IF NOT EXISTS atpsim_stock (
    sku      INTEGER PRIMARY KEY,
    on_hand  INTEGER NOT NULL,
    buffer   INTEGER NOT NULL,
    reserved INTEGER NOT NULL
)
