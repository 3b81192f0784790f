-- The counter pair: KEYS[1] counts what is left, KEYS[2] what was promised.
-- ARGV[1]: on_hand; ARGV[2]: buffer.
redis.call('SET', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]))
redis.call('SET', KEYS[2], 0)
return 1
