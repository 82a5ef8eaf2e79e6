-- KEYS[1] the token; ARGV prefix. {'ok', fields...} when it exists and its grant is live.
local t, raw = fields(KEYS[1])
if not t or not live(ARGV[1], t.grant) then
  return {'missing'}
end
local out = {'ok'}
for _, v in ipairs(raw) do
  out[#out + 1] = v
end
return out
