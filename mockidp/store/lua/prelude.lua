-- Shared by every script (prepended by redis.go). Times are Unix milliseconds; TTLs are
-- milliseconds. A grant is a hash: revoked ('0' or '1'), code (the key of its spent-code
-- marker) and sidx (the key of the session index it is in). Its TTL is the longest of the
-- records that name it, and its marker and session index live as long as it does.

-- fields returns a hash as a table and as the flat HGETALL reply, or nil when it is absent.
local function fields(key)
  local raw = redis.call('HGETALL', key)
  if #raw == 0 then
    return nil, raw
  end
  local t = {}
  for i = 1, #raw, 2 do
    t[raw[i]] = raw[i + 1]
  end
  return t, raw
end

-- ms formats a millisecond count without an exponent.
local function ms(n)
  return string.format('%.0f', n)
end

-- ttl is how long a record that expires at exp may be kept: its life from now, capped, plus
-- the margin.
local function ttl(exp, now, margin, cap)
  return math.min(exp - now, cap) + margin
end

-- extend makes grant key g live at least t ms, and its marker and session index as long.
local function extend(g, t)
  if redis.call('PTTL', g) < t then
    redis.call('PEXPIRE', g, t)
  end
  local cur = redis.call('PTTL', g)
  for _, f in ipairs({'code', 'sidx'}) do
    local k = redis.call('HGET', g, f)
    if k and redis.call('PTTL', k) < cur then
      redis.call('PEXPIRE', k, cur)
    end
  end
end

-- grant returns the key of grant id, created unrevoked when new, living at least t ms.
local function grant(prefix, id, t)
  local g = prefix .. 'grant:' .. id
  if redis.call('EXISTS', g) == 0 then
    redis.call('HSET', g, 'revoked', '0')
  end
  extend(g, t)
  return g
end

-- revoke flags grant id revoked; a grant no record names any more has nothing to revoke.
local function revoke(prefix, id)
  local g = prefix .. 'grant:' .. id
  if redis.call('EXISTS', g) == 1 then
    redis.call('HSET', g, 'revoked', '1')
  end
end

-- refused is why grant id refuses the tokens that name it, nil while it is live: 'revoked', or
-- 'expired' when it is gone, as it outlives every record that names it. Refusals are the
-- names of store.Reason values.
local function refused(prefix, id)
  local r = redis.call('HGET', prefix .. 'grant:' .. id, 'revoked')
  if r == '0' then
    return nil
  elseif r == '1' then
    return 'revoked'
  end
  return 'expired'
end

-- live reports whether grant id exists and is not revoked.
local function live(prefix, id)
  return not refused(prefix, id)
end
