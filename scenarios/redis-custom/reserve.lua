-- Check and take in one script: it runs alone on the server.
-- KEYS[1]: what is left; KEYS[2]: what was promised; ARGV[1]: quantity.
-- Returns 1 when reserved, 0 when the units are not there.
local avail = tonumber(redis.call('GET', KEYS[1]))
local qty = tonumber(ARGV[1])
if avail >= qty then
  redis.call('DECRBY', KEYS[1], qty)
  redis.call('INCRBY', KEYS[2], qty)
  return 1
end
return 0
