-- One row per SKU. Signed columns: with an oversell buffer, on_hand - reserved may go negative.
CREATE TABLE {{stock}} (
    sku      bigint PRIMARY KEY,
    on_hand  bigint NOT NULL,
    buffer   bigint NOT NULL,
    reserved bigint NOT NULL,
    -- The checkout calls' counters (`backends/README.md`, "Checkout").
    held     bigint NOT NULL DEFAULT 0,
    sold     bigint NOT NULL DEFAULT 0
)
