-- KEYS[1] the record. Returns its HGETALL reply and deletes it.
local raw = redis.call('HGETALL', KEYS[1])
if #raw > 0 then
  redis.call('DEL', KEYS[1])
end
return raw
