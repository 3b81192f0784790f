-- Locks one SKU's stock row until the call's transaction ends; a call locks
-- its SKUs one by one in ascending order, so crossed carts never deadlock.
-- Binds: sku
SELECT sku FROM {{stock}} WHERE sku = ? FOR UPDATE
