-- One row per granted reservation, keyed by the order's id and written in
-- the same statement or transaction as the stock change, so after the run
-- the audit can look up whether an order whose answer was lost took effect.
CREATE TABLE {{reservations}} (
    order_id bigint PRIMARY KEY,
    sku      bigint NOT NULL,
    qty      bigint NOT NULL
)
