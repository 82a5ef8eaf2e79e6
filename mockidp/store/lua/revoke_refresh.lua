-- KEYS[1] the token; ARGV prefix, client id.
local v = redis.call('HMGET', KEYS[1], 'client', 'grant')
if v[1] == ARGV[2] then
  revoke(ARGV[1], v[2])
end
return 1
