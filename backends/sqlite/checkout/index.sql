-- The lazy reap finds one SKU's lapsed holds without reading its other rows.
CREATE INDEX IF NOT EXISTS atpsim_orders_reap ON atpsim_orders (sku, state, expires_us)
