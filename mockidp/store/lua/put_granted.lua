-- KEYS[1] the record; ARGV prefix, grant, ttl, then field/value pairs, or one value for a
-- string record. Stores (replacing) a record that names a grant, which lives at least as long.
-- The record is written first (see put.lua).
if #ARGV == 4 then
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[3])
else
  redis.call('HSET', KEYS[1], unpack(ARGV, 4))
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
grant(ARGV[1], ARGV[2], tonumber(ARGV[3]))
return 1
