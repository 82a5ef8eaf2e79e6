-- KEYS[1] the access token's grant; ARGV prefix. 1 when that grant is revoked or gone.
local id = redis.call('GET', KEYS[1])
if not id or live(ARGV[1], id) then
  return 0
end
return 1
