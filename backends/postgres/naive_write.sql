-- The naive write: an absolute value computed in the client from its own read.
-- $1 new reserved, $2 sku
UPDATE {{stock}} SET reserved = $1 WHERE sku = $2
