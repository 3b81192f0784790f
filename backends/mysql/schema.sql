-- One row per SKU. Signed columns: with an oversell buffer, on_hand - reserved may go negative.
CREATE TABLE {{stock}} (
    sku      BIGINT NOT NULL PRIMARY KEY,
    on_hand  BIGINT NOT NULL,
    buffer   BIGINT NOT NULL,
    reserved BIGINT NOT NULL,
    -- The checkout calls' counters (`backends/README.md`, "Checkout").
    held     BIGINT NOT NULL DEFAULT 0,
    sold     BIGINT NOT NULL DEFAULT 0
) ENGINE = InnoDB
