-- KEYS[1] the code; ARGV prefix, now, margin, cap.
-- The first take replaces the code by a marker pointing to its grant and returns
-- {'ok', fields...}; a take of the marker revokes the grant and returns {'reused'}; a code
-- never stored is {'unknown'}.
local c, raw = fields(KEYS[1])
if not c then
  return {'unknown'}
end
if c.spent == '1' then
  revoke(ARGV[1], c.grant)
  return {'reused'}
end
local now, margin, cap = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local g = grant(ARGV[1], c.grant, ttl(tonumber(c.exp), now, margin, cap))
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'spent', '1', 'grant', c.grant)
redis.call('HSET', g, 'code', KEYS[1])
extend(g, 0)
local out = {'ok'}
for _, v in ipairs(raw) do
  out[#out + 1] = v
end
return out
