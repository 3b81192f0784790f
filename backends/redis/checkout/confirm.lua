-- Confirm a hold. ARGV[3]: the policy after expiry, "reject" or "reacquire".
-- Returns 1 sold, 2 reacquired, 3 lapsed, 4 sold out, 5 already sold.
local now, key, order = ARGV[1], ARGV[2], KEYS[1]
local ls = lines()
reap_lines(ls, now)
local state = redis.call('HGET', order, 'state')
if not state then
  return 3
end
if state == 'sold' then
  return 5
end
local ps = parts(order, key, ls)
if state == 'held' then
  if live(order, ps) then
    unhold(ps)
    for _, p in ipairs(ps) do
      redis.call('HINCRBY', p.stock, 'sold', p.qty)
    end
    redis.call('HSET', order, 'state', 'sold')
    return 1
  end
  state = 'lapsed'
end
if state ~= 'lapsed' or ARGV[3] ~= 'reacquire' then
  return 3
end
-- Sold again from free stock: every part must fit before any is sold.
for _, p in ipairs(ps) do
  if not fits(p.stock, tonumber(p.qty)) then
    return 4
  end
end
for _, p in ipairs(ps) do
  redis.call('HINCRBY', p.stock, 'sold', p.qty)
end
redis.call('HSET', order, 'state', 'sold')
return 2
