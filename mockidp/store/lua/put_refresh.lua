-- KEYS[1] the token, KEYS[2] (when the token has a session) the session's index of grants;
-- ARGV prefix, grant, record ttl, grant ttl, then field/value pairs. 0 when the token exists.
-- The record is written first (see put.lua).
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local g = grant(ARGV[1], ARGV[2], tonumber(ARGV[4]))
if KEYS[2] then
  redis.call('SADD', KEYS[2], ARGV[2])
  redis.call('HSET', g, 'sidx', KEYS[2])
  extend(g, 0)
end
return 1
