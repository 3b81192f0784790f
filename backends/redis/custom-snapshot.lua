-- redis-custom, when the scenario names no `snapshot`: the layout redis-lua uses.
-- KEYS[1]: the SKU's hash. Returns the units its `reserved` field holds.
local reserved = redis.call('HGET', KEYS[1], 'reserved')
if not reserved then
  return redis.error_reply('atpsim: no stock hash at ' .. KEYS[1])
end
return tonumber(reserved)
