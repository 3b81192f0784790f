-- redis-lua: check and reserve in one step. A script runs alone on the
-- server, so no other client's write falls between the read and the write.
-- KEYS[1]: the SKU's hash (on_hand, buffer, reserved); ARGV[1]: quantity.
-- With order ids stored, KEYS[2]: the SKU's hash of order id -> quantity,
-- ARGV[2]: the order's id, written in the same step as the stock.
-- Returns 1 when reserved, 0 when the units are not there.
local v = redis.call('HMGET', KEYS[1], 'on_hand', 'buffer', 'reserved')
local on_hand, buffer, reserved = tonumber(v[1]), tonumber(v[2]), tonumber(v[3])
if not (on_hand and buffer and reserved) then
  return redis.error_reply('atpsim: no stock hash at ' .. KEYS[1])
end
local qty = tonumber(ARGV[1])
if on_hand + buffer - reserved >= qty then
  redis.call('HINCRBY', KEYS[1], 'reserved', qty)
  if KEYS[2] then
    redis.call('HSET', KEYS[2], ARGV[2], qty)
  end
  return 1
end
return 0
