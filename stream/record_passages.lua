-- Counts each passage of a batch the history has just stored (not yet committed) once, with its
-- flow counts, in one atomic call: SET NX on its short-lived counted mark keeps a batch given
-- again after a crash before the history's commit from being counted twice, and a batch costs
-- one round trip. The passage itself is kept by the history (PostgreSQL), not here.
-- KEYS: stream stats, then per passage: counted mark, checkpoint stats,
--       (window hash, window index) for 1m and 1h.
-- ARGV: TTL, now, then per passage: dwell, outside (1/0/'' for unknown),
--       (start, retention) for 1m and 1h.
-- Returns per passage the two windows' counts after it, or 0 for a passage already recorded.
local ttl, now, results = ARGV[1], tonumber(ARGV[2]), {}
for j = 0, (#KEYS - 1) / 6 - 1 do
  local k, a = 1 + 6 * j, 2 + 6 * j
  if not redis.call('SET', KEYS[k + 1], 1, 'NX', 'EX', ttl) then
    redis.call('HINCRBY', KEYS[1], 'duplicates', 1)
    results[j + 1] = 0
  else
    redis.call('HINCRBY', KEYS[k + 2], 'passages', 1)
    redis.call('HINCRBY', KEYS[1], 'passages', 1)
    local counts = {}
    for i = 0, 1 do
      local window, index = KEYS[k + 3 + 2 * i], KEYS[k + 4 + 2 * i]
      local start, keep = ARGV[a + 3 + 2 * i], ARGV[a + 4 + 2 * i]
      counts[i + 1] = redis.call('HINCRBY', window, 'vehicles', 1)
      redis.call('HINCRBYFLOAT', window, 'dwell_s', ARGV[a + 1])
      if ARGV[a + 2] ~= '' then
        redis.call('HINCRBY', window, 'known_region', 1)
        redis.call('HINCRBY', window, 'outside', ARGV[a + 2])
      end
      redis.call('EXPIRE', window, keep)
      redis.call('ZADD', index, start, start)
      redis.call('ZREMRANGEBYSCORE', index, 0, now - keep)
      redis.call('EXPIRE', index, keep)
    end
    results[j + 1] = counts
  end
end
return results
