-- SQLite has no row locks: every checkout call opens with BEGIN IMMEDIATE,
-- which takes the database's one write lock, so calls never interleave and
-- never deadlock. This read of the SKU's row stands in for the servers' row
-- lock (an in-process call, no round trip). ?1 sku
SELECT sku FROM atpsim_stock WHERE sku = ?1
