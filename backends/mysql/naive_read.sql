-- The naive read: how much may be sold, and what is reserved now. Binds: sku
SELECT on_hand + buffer, reserved FROM {{stock}} WHERE sku = ?
