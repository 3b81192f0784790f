-- Every SKU in one statement. $1 sku indexes, $2 on_hand, $3 buffer (arrays)
INSERT INTO {{stock}} (sku, on_hand, buffer, reserved)
SELECT sku, on_hand, buffer, 0
  FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS t(sku, on_hand, buffer)
