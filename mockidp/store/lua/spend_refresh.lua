-- KEYS[1] the token; ARGV prefix, now, margin, cap, client id, '1' when rotating, idle
-- lifetime, leeway. The rules of Store.SpendRefreshToken, in the order Memory applies them.
local r = fields(KEYS[1])
if not r then
  return {'unknown'}
end
if r.client ~= ARGV[5] then
  return {"another client's"}
end
local why = refused(ARGV[1], r.grant)
if why then
  return {why}
end
local now, margin, cap = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local exp, idle = tonumber(r.exp), tonumber(r.idle)
if r.used == '1' and now >= tonumber(r.rot) + tonumber(ARGV[8]) then
  revoke(ARGV[1], r.grant)
  return {'reused'}
end
if now >= exp or now >= idle then
  redis.call('DEL', KEYS[1])
  return {now >= exp and 'expired' or 'idle'}
end
if ARGV[6] ~= '1' then
  idle = now + tonumber(ARGV[7])
  local t = ttl(math.min(exp, idle), now, margin, cap)
  redis.call('HSET', KEYS[1], 'idle', ms(idle))
  redis.call('PEXPIRE', KEYS[1], t)
  extend(ARGV[1] .. 'grant:' .. r.grant, t)
elseif r.used ~= '1' then
  redis.call('HSET', KEYS[1], 'used', '1', 'rot', ms(now))
  redis.call('PEXPIRE', KEYS[1], ttl(exp, now, margin, cap))
end
local out = {'ok'}
for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do
  out[#out + 1] = v
end
return out
