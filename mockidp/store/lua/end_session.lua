-- KEYS[1] the session, KEYS[2] its index of grants; ARGV prefix, '1' to revoke them.
redis.call('DEL', KEYS[1])
if ARGV[2] == '1' then
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
    revoke(ARGV[1], id)
  end
end
return 1
