-- redis-lua checkout: what every checkout script shares (prepended to each
-- when it is loaded, so a script is still one atomic step on the server).
--
-- In the order scripts KEYS[1] is the order's record (a hash: state,
-- expires, q:<sku> per line), then, per merged line j, KEYS[2j] its SKU's
-- stock hash (on_hand, buffer, held, sold) and KEYS[2j+1] that SKU's hold
-- deadlines (a sorted set of "<key>:<qty>" scored by expires_us). A hold's
-- units are in `held` exactly while its member is in the deadlines.
-- ARGV[1] now_us (the harness clock), ARGV[2] the idempotency key, ARGV[3]
-- the script's own argument, then per line j ARGV[2+2j] sku, ARGV[3+2j] qty.

-- Counts go back to Redis as integer text: HINCRBY takes nothing else, and
-- this does not hang on how a server version prints a Lua number (a double).
local function int(n)
  return string.format('%d', n)
end

local function lines()
  local out = {}
  for j = 1, (#KEYS - 1) / 2 do
    out[j] = { stock = KEYS[2 * j], holds = KEYS[2 * j + 1], sku = ARGV[2 + 2 * j], qty = ARGV[3 + 2 * j] }
  end
  return out
end

-- Lapse every hold of one SKU due at or before now: the clock is the
-- caller's, never the server's, and no key's EXPIRE ever returns units.
local function reap(stock, holds, now)
  if redis.call('EXISTS', stock) == 0 then
    error('atpsim: no stock hash at ' .. stock)
  end
  local due = redis.call('ZRANGEBYSCORE', holds, '-inf', now)
  if #due == 0 then
    return 0
  end
  local units = 0
  for _, member in ipairs(due) do
    units = units + tonumber(string.match(member, ':(%d+)$'))
  end
  redis.call('ZREMRANGEBYSCORE', holds, '-inf', now)
  redis.call('HINCRBY', stock, 'held', int(-units))
  return #due
end

local function reap_lines(ls, now)
  for _, l in ipairs(ls) do
    reap(l.stock, l.holds, now)
  end
end

-- Whether `qty` more units fit in a SKU's free stock. Each difference is
-- exact for counts below 2^53, and so is the sign of their sum.
local function fits(stock, qty)
  local v = redis.call('HMGET', stock, 'on_hand', 'buffer', 'held', 'sold')
  local on_hand, buffer, held, sold = tonumber(v[1]), tonumber(v[2]), tonumber(v[3]), tonumber(v[4])
  if not (on_hand and buffer and held and sold) then
    error('atpsim: no stock hash at ' .. stock)
  end
  return (on_hand - held) + (buffer - sold) - qty >= 0
end

-- The order's part on each line's SKU, with the quantity it took there.
local function parts(order, key, ls)
  local out = {}
  for _, l in ipairs(ls) do
    local q = redis.call('HGET', order, 'q:' .. l.sku)
    if q then
      out[#out + 1] = { stock = l.stock, holds = l.holds, qty = q, member = key .. ':' .. q }
    end
  end
  return out
end

-- Whether a held order is still live: every part keeps its hold. One reaped
-- part (a call on that SKU at a later clock) lapses the whole order, so the
-- rest are reaped here: an order lapses as a whole, never in part.
local function live(order, ps)
  local all = true
  for _, p in ipairs(ps) do
    if not redis.call('ZSCORE', p.holds, p.member) then
      all = false
    end
  end
  if all then
    return true
  end
  for _, p in ipairs(ps) do
    if redis.call('ZREM', p.holds, p.member) == 1 then
      redis.call('HINCRBY', p.stock, 'held', int(-tonumber(p.qty)))
    end
  end
  redis.call('HSET', order, 'state', 'lapsed')
  return false
end

-- Drop the holds of a live order (confirmed or released).
local function unhold(ps)
  for _, p in ipairs(ps) do
    redis.call('ZREM', p.holds, p.member)
    redis.call('HINCRBY', p.stock, 'held', int(-tonumber(p.qty)))
  end
end
