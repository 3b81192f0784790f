-- The naive read: how much may be sold, and what is reserved now. $1 sku
SELECT on_hand + buffer, reserved FROM {{stock}} WHERE sku = $1
