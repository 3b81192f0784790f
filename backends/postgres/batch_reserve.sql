-- One batch of one SKU's orders, settled in one statement: lock the row,
-- grant first-fit in arrival order against what is free, and add the
-- granted units with the conditional update. $1 sku, $2 quantities in
-- arrival order (bigint[]). Returns one row: per order, granted or not
-- (arrival order); how many rows the update changed (1 when any unit was
-- granted and added, 0 when none was granted or the update refused); and
-- the units left free after the batch.
WITH RECURSIVE
    row_now AS (
        SELECT on_hand + buffer - reserved AS free
          FROM {{stock}}
         WHERE sku = $1
           FOR UPDATE
    ),
    -- One step per order, reading its quantity by subscript: the walk is
    -- linear in the batch (a join to the unnested array instead would
    -- rescan it on every step under some plans).
    fit (n, left_over, took) AS (
        SELECT 0::bigint, free, 0::bigint FROM row_now
        UNION ALL
        SELECT fit.n + 1,
               CASE WHEN $2[fit.n + 1] <= fit.left_over THEN fit.left_over - $2[fit.n + 1] ELSE fit.left_over END,
               CASE WHEN $2[fit.n + 1] <= fit.left_over THEN $2[fit.n + 1] ELSE 0 END
          FROM fit
         WHERE fit.n < cardinality($2::bigint[])
    ),
    total AS (
        SELECT coalesce(sum(took), 0)::bigint AS units FROM fit
    ),
    settled AS (
        UPDATE {{stock}}
           SET reserved = reserved + (SELECT units FROM total)
         WHERE sku = $1
           AND (SELECT units FROM total) > 0
           AND on_hand + buffer - reserved >= (SELECT units FROM total)
        RETURNING 1
    )
SELECT coalesce(array_agg(took > 0 ORDER BY n) FILTER (WHERE n > 0), '{}'::boolean[]) AS granted,
       (SELECT count(*) FROM settled) AS changed,
       min(left_over) AS free_after
  FROM fit
