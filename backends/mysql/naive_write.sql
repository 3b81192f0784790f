-- The naive write: an absolute value computed in the client from its own read.
-- Binds: new reserved, sku
UPDATE {{stock}} SET reserved = ? WHERE sku = ?
