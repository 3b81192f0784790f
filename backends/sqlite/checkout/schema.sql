-- sqlite-atomic's orders: one row per SKU of each order taken, keyed by its
-- idempotency key. expires_us is a hold's deadline on the harness's clock
-- (NULL for a sale outright); state is held, sold, released, lapsed or refunded.
CREATE TABLE IF NOT EXISTS atpsim_orders (
    order_key  INTEGER NOT NULL,
    sku        INTEGER NOT NULL,
    qty        INTEGER NOT NULL,
    expires_us INTEGER,
    state      TEXT NOT NULL,
    PRIMARY KEY (order_key, sku)
)
