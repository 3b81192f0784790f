-- The units promised for the SKU: what KEYS[2] counted.
return redis.call('GET', KEYS[2])
