-- redis-custom, when the scenario names no `reset`: the layout redis-lua uses.
-- KEYS[1]: the SKU's hash; ARGV[1]: on_hand; ARGV[2]: buffer.
-- Leaves the SKU with that stock and nothing reserved.
redis.call('HSET', KEYS[1], 'on_hand', ARGV[1], 'buffer', ARGV[2], 'reserved', 0)
return 1
