-- mysql-atomic's orders: one row per SKU of each order taken, keyed by its
-- idempotency key. expires_us is a hold's deadline on the harness's clock
-- (NULL for a sale outright); state is held, sold, released, lapsed or refunded.
CREATE TABLE {{orders}} (
    order_key  BIGINT NOT NULL,
    sku        BIGINT NOT NULL,
    qty        BIGINT NOT NULL,
    expires_us BIGINT NULL,
    state      VARCHAR(8) NOT NULL,
    PRIMARY KEY (order_key, sku)
) ENGINE = InnoDB
