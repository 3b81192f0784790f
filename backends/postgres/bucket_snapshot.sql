-- The final state (R): reserved units per SKU, summed over its buckets.
SELECT sku, sum(reserved)::bigint FROM {{bucket}} GROUP BY sku ORDER BY sku
