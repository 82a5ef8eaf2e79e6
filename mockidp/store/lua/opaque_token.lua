-- KEYS[1] the token; ARGV prefix. {'unknown'} when it is absent, else {status, fields...}:
-- 'ok' while its grant is live, else why the grant refuses it. The caller checks the token's
-- own expiry first.
local t, raw = fields(KEYS[1])
if not t then
  return {'unknown'}
end
local out = {refused(ARGV[1], t.grant) or 'ok'}
for _, v in ipairs(raw) do
  out[#out + 1] = v
end
return out
