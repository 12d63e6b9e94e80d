/**
 * The one Lua script behind `RedisRateLimitStore`: a GCRA bucket in one hash (`tat`, the
 * theoretical arrival time of the next token, and `paused`, the end of a 429 pause), timed by
 * Redis `TIME` so every host uses the same clock. Times are milliseconds on that clock; replies
 * are durations, which need no common clock.
 *
 * KEYS[1] the bucket; ARGV[1] `reserve` | `pause` | `snapshot`; ARGV[2] emission interval (ms
 * per token); ARGV[3] burst tolerance (ms, capacity x emission); ARGV[4] pause length (ms).
 */
export const GCRA_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local op = ARGV[1]
local emission = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tat', 'paused')
local tat = tonumber(state[1]) or now
local paused = tonumber(state[2]) or 0
local function ms(x) return string.format('%.3f', x) end
local function keep()
  redis.call('HSET', KEYS[1], 'tat', ms(tat), 'paused', ms(paused))
  redis.call('PEXPIRE', KEYS[1], math.ceil(math.max(tat, paused) - now) + 60000)
end
if op == 'snapshot' then
  local owed = math.max(0, tat - now)
  return { ms(math.max(0, tolerance - owed) / emission), ms(math.max(0, paused - now)) }
end
if op == 'pause' then
  local untilMs = now + tonumber(ARGV[4])
  if untilMs > paused then
    paused = untilMs
    -- Empty when the pause ends: the first slot after it is one emission interval later.
    tat = math.max(tat, untilMs + tolerance)
    keep()
  end
  return { ms(paused - now) }
end
if tat < now then tat = now end
tat = tat + emission
keep()
local wait = math.max(0, tat - tolerance - now)
local cooling = 0
if paused > now then cooling = 1 end
return { ms(wait), cooling }
`;
