-- Cancel a live hold: its units go back once. Returns 1 released, 0 when
-- there is nothing to give back (released, lapsed, sold or never taken).
local now, key, order = ARGV[1], ARGV[2], KEYS[1]
local ls = lines()
reap_lines(ls, now)
if redis.call('HGET', order, 'state') ~= 'held' then
  return 0
end
local ps = parts(order, key, ls)
if not live(order, ps) then
  return 0
end
unhold(ps)
redis.call('HSET', order, 'state', 'released')
return 1
