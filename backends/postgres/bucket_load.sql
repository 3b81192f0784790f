-- $1 sku indexes, $2 buckets, $3 on_hand, $4 buffer (arrays, one row per bucket)
INSERT INTO {{bucket}} (sku, bucket, on_hand, buffer, reserved)
SELECT sku, bucket, on_hand, buffer, 0
  FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::bigint[]) AS t(sku, bucket, on_hand, buffer)
