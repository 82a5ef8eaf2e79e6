-- KEYS[1] the record; ARGV ttl, then field/value pairs. Stores a record that must be new (a
-- code, live or spent): 0 when the key exists.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
