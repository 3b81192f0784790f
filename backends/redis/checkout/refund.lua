-- Give a sale's units back once. Returns 1 refunded, 0 when the order is
-- not (or no longer) sold.
local now, key, order = ARGV[1], ARGV[2], KEYS[1]
local ls = lines()
reap_lines(ls, now)
if redis.call('HGET', order, 'state') ~= 'sold' then
  return 0
end
for _, p in ipairs(parts(order, key, ls)) do
  redis.call('HINCRBY', p.stock, 'sold', int(-tonumber(p.qty)))
end
redis.call('HSET', order, 'state', 'refunded')
return 1
