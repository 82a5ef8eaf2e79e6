-- KEYS[1] the session; ARGV now, margin, cap, idle lifetime.
-- Moves a live session's idle deadline and returns {'ok', fields...}; removes a dead one and
-- returns why ({'expired'} or {'idle'}, the absolute deadline first).
local s = fields(KEYS[1])
if not s then
  return {'unknown'}
end
local now, margin, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local exp = tonumber(s.exp)
if now >= exp or now >= tonumber(s.idle) then
  redis.call('DEL', KEYS[1])
  return {now >= exp and 'expired' or 'idle'}
end
local idle = now + tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'idle', ms(idle))
redis.call('PEXPIRE', KEYS[1], ttl(math.min(exp, idle), now, margin, cap))
local out = {'ok'}
for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do
  out[#out + 1] = v
end
return out
