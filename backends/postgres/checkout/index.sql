-- The lazy reap finds one SKU's lapsed holds without reading its other rows.
CREATE INDEX {{orders_reap}} ON {{orders}} (sku, state, expires_us)
