-- One row per granted reservation, keyed by the order's id and written in
-- the same transaction as the stock change, so after the run the audit can
-- look up whether an order whose answer was lost took effect.
CREATE TABLE {{reservations}} (
    order_id BIGINT NOT NULL PRIMARY KEY,
    sku      BIGINT NOT NULL,
    qty      BIGINT NOT NULL
) ENGINE = InnoDB
