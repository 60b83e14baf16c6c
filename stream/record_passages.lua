-- Records each passage of a batch once (SET NX on its event id) with its flow counts, in one
-- atomic call, so a passage replayed after a crash is neither lost from nor counted twice in the
-- windows, and a batch costs one round trip.
-- KEYS: stream stats, then per passage: seen, passage, recent, checkpoint stats,
--       (window hash, window index) for 1m and 1h.
-- ARGV: TTL, now, then per passage: JSON, event id, last seen, dwell, outside (1/0/'' for
--       unknown), (start, retention) for 1m and 1h.
-- Returns per passage the two windows' counts after it, or 0 for a passage already recorded.
local ttl, now, results = ARGV[1], tonumber(ARGV[2]), {}
for j = 0, (#KEYS - 1) / 8 - 1 do
  local k, a = 1 + 8 * j, 2 + 9 * j
  if not redis.call('SET', KEYS[k + 1], 1, 'NX', 'EX', ttl) then
    redis.call('HINCRBY', KEYS[1], 'duplicates', 1)
    results[j + 1] = 0
  else
    redis.call('SET', KEYS[k + 2], ARGV[a + 1], 'EX', ttl)
    redis.call('ZADD', KEYS[k + 3], ARGV[a + 3], ARGV[a + 2])
    redis.call('ZREMRANGEBYSCORE', KEYS[k + 3], 0, now - ttl)
    redis.call('HINCRBY', KEYS[k + 4], 'passages', 1)
    redis.call('HINCRBY', KEYS[1], 'passages', 1)
    local counts = {}
    for i = 0, 1 do
      local window, index = KEYS[k + 5 + 2 * i], KEYS[k + 6 + 2 * i]
      local start, keep = ARGV[a + 6 + 2 * i], ARGV[a + 7 + 2 * i]
      counts[i + 1] = redis.call('HINCRBY', window, 'vehicles', 1)
      redis.call('HINCRBYFLOAT', window, 'dwell_s', ARGV[a + 4])
      if ARGV[a + 5] ~= '' then
        redis.call('HINCRBY', window, 'known_region', 1)
        redis.call('HINCRBY', window, 'outside', ARGV[a + 5])
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
