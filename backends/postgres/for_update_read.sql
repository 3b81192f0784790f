-- The read of postgres-for-update: locks the SKU's row until commit. $1 sku
SELECT on_hand + buffer, reserved FROM {{stock}} WHERE sku = $1 FOR UPDATE
