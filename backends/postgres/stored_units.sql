-- Units per SKU of every stored order id, to check against the stock rows.
SELECT sku, sum(qty)::bigint FROM {{reservations}} GROUP BY sku
