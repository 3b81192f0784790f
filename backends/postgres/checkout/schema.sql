-- postgres-atomic's orders: one row per SKU of each order taken, keyed by its
-- idempotency key. expires_us is a hold's deadline on the harness's clock
-- (NULL for a sale outright); state is held, sold, released, lapsed or refunded.
CREATE TABLE {{orders}} (
    order_key  bigint NOT NULL,
    sku        bigint NOT NULL,
    qty        bigint NOT NULL,
    expires_us bigint,
    state      text NOT NULL,
    PRIMARY KEY (order_key, sku)
)
