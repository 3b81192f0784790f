-- The naive write: an absolute value the client computed from its own read.
-- ?1 new reserved, ?2 sku index
UPDATE atpsim_stock SET reserved = ?1 WHERE sku = ?2
