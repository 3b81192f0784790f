-- The naive read: how much may still be sold, and what is reserved now.
-- ?1 sku index
SELECT on_hand + buffer, reserved FROM atpsim_stock WHERE sku = ?1
