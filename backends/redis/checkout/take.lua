-- Take an order's lines, all or nothing. ARGV[3]: expires_us for a hold,
-- empty to sell at once. Returns 1 granted, 0 sold out. A key seen before
-- changes nothing: granted while its order is held or sold, else sold out.
local now, key, order = ARGV[1], ARGV[2], KEYS[1]
local ls = lines()
reap_lines(ls, now)
local state = redis.call('HGET', order, 'state')
if state then
  if state == 'sold' or (state == 'held' and live(order, parts(order, key, ls))) then
    return 1
  end
  return 0
end
for _, l in ipairs(ls) do
  if not fits(l.stock, tonumber(l.qty)) then
    return 0
  end
end
local expires = ARGV[3]
for _, l in ipairs(ls) do
  if expires ~= '' then
    redis.call('HINCRBY', l.stock, 'held', l.qty)
    redis.call('ZADD', l.holds, expires, key .. ':' .. l.qty)
  else
    redis.call('HINCRBY', l.stock, 'sold', l.qty)
  end
  redis.call('HSET', order, 'q:' .. l.sku, l.qty)
end
if expires ~= '' then
  redis.call('HSET', order, 'state', 'held', 'expires', expires)
else
  redis.call('HSET', order, 'state', 'sold')
end
return 1
