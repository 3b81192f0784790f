-- The fast path of a batch (postgres-batch): every order of the batch fits
-- the units its queue server last saw free, so add them all with the
-- conditional update; 0 rows = the row has less free than that, and the
-- batch goes through batch_reserve.sql instead. $1 sku, $2 the batch's units.
-- Returns the units left free after it.
UPDATE {{stock}}
   SET reserved = reserved + $2
 WHERE sku = $1
   AND on_hand + buffer - reserved >= $2
RETURNING on_hand + buffer - reserved
