-- atpsim's stock table on SQLite: one row per SKU of the run's catalogue
-- (sqlite-atomic adds atpsim_orders, checkout/schema.sql).
-- Signed columns: with an oversell buffer, on_hand - reserved may go negative.
CREATE TABLE IF NOT EXISTS atpsim_stock (
    sku      INTEGER PRIMARY KEY,
    on_hand  INTEGER NOT NULL,
    buffer   INTEGER NOT NULL,
    reserved INTEGER NOT NULL,
    -- The checkout calls' counters (`backends/README.md`, "Checkout").
    held     INTEGER NOT NULL DEFAULT 0,
    sold     INTEGER NOT NULL DEFAULT 0
)
