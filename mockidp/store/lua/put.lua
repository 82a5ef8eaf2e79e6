-- KEYS[1] the record; ARGV ttl, then field/value pairs. Stores a record, replacing what was
-- there: a record of a kind always has all its fields. The record is written first, so that a
-- server out of memory refuses the script (Redis checks memory at a script's first write).
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
