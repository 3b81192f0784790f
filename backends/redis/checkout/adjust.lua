-- Restock or correct one SKU. KEYS[1]: its stock hash; ARGV[1]: the delta.
-- HINCRBY adds on the server, so a sale in between is never overwritten;
-- stock never goes below 0.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('atpsim: no stock hash at ' .. KEYS[1])
end
if redis.call('HINCRBY', KEYS[1], 'on_hand', ARGV[1]) < 0 then
  redis.call('HSET', KEYS[1], 'on_hand', 0)
end
return 1
