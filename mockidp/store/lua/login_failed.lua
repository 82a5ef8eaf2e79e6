-- KEYS[1] the identifier's failures; ARGV now, margin, identifier, threshold, lockout,
-- window. The rules of Store.LoginFailed; 'until' is '' while no lock is set, 'last' is the
-- latest failure counted.
local v = redis.call('HMGET', KEYS[1], 'n', 'until', 'last')
local now, window = tonumber(ARGV[1]), tonumber(ARGV[6])
local n, locked, last = tonumber(v[1]) or 0, tonumber(v[2]), tonumber(v[3])
if locked and now < locked then
  return 0
end
if locked or not last or now >= last + window then
  n, locked = 0, nil
end
n = n + 1
if n >= tonumber(ARGV[4]) then
  locked = now + tonumber(ARGV[5])
end
redis.call('HSET', KEYS[1], 'id', ARGV[3], 'n', tostring(n), 'until', locked and ms(locked) or '', 'last', ms(now))
redis.call('PEXPIRE', KEYS[1], window + tonumber(ARGV[2]))
return 1
