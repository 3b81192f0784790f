-- Serialises one SKU of one run until commit. $1 the run's key, $2 sku
SELECT pg_advisory_xact_lock($1, $2)
