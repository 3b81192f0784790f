-- The units of every stored order id, per SKU: KEYS are the SKUs' hashes of
-- order id -> quantity; returns one sum per key, in order. Read once the
-- run is quiet, to check against the stock hashes' `reserved`.
local sums = {}
for i, key in ipairs(KEYS) do
  local sum = 0
  for _, qty in ipairs(redis.call('HVALS', key)) do
    sum = sum + tonumber(qty)
  end
  sums[i] = sum
end
return sums
