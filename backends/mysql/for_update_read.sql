-- The read of mysql-for-update: locks the SKU's row until commit. Binds: sku
SELECT on_hand + buffer, reserved FROM {{stock}} WHERE sku = ? FOR UPDATE
