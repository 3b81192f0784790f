-- Lapse the holds due at ARGV[1] (now_us) on many SKUs at once: KEYS in
-- pairs, each SKU's stock hash then its hold deadlines. Returns how many lapsed.
local lapsed = 0
for j = 1, #KEYS, 2 do
  lapsed = lapsed + reap(KEYS[j], KEYS[j + 1], ARGV[1])
end
return lapsed
