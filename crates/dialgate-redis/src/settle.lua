-- dialgate fleet admission: commit or release one claim, compare then delete.
--
-- KEYS[1] the in-flight one-off lead of (schedule, number): "claim sec ns"
-- KEYS[2] the number's dials: "claim sec ns claim sec ns ..."
--
-- ARGV: 1 "c" commit / "r" release, 2 claim id (a decimal string),
--       3 one_off ("1"/"0"), 4 admitted sec, 5 admitted ns,
--       6 lease s (-1: no lease), 7 lease ns, 8 time mode ("s": the
--       server's TIME, "d": the given time), 9 t_sec, 10 t_ns.
--
-- A release after the hold's lease ended commits instead (a call that may
-- have been placed counts as placed). Answers the verb applied: "c" or "r".

local E9 = 1000000000
local op, claim, one_off = ARGV[1], ARGV[2], ARGV[3] == '1'
local lease_s, lease_n = tonumber(ARGV[6]), tonumber(ARGV[7])

if op == 'r' and lease_s >= 0 then
  local ts, tn
  if ARGV[8] == 's' then
    local now = redis.call('TIME')
    ts, tn = tonumber(now[1]), tonumber(now[2]) * 1000
  else
    ts, tn = tonumber(ARGV[9]), tonumber(ARGV[10])
  end
  local es, en = tonumber(ARGV[4]) + lease_s, tonumber(ARGV[5]) + lease_n
  if en >= E9 then es = es + 1; en = en - E9 end
  if ts > es or (ts == es and tn >= en) then op = 'c' end
end

-- The in-flight lead: only if this claim still holds it.
if one_off then
  local held = redis.call('GET', KEYS[1])
  if held and string.match(held, '^(%d+) ') == claim then
    redis.call('DEL', KEYS[1])
  end
end

-- A release drops this claim's dial, and only it.
if op == 'r' then
  local raw = redis.call('GET', KEYS[2])
  if raw then
    local parts, found = {}, false
    for c, s, n in string.gmatch(raw, '(%d+) (%d+) (%d+)') do
      if c == claim then found = true else parts[#parts + 1] = c .. ' ' .. s .. ' ' .. n end
    end
    if found then
      if #parts == 0 then
        redis.call('DEL', KEYS[2])
      else
        redis.call('SET', KEYS[2], table.concat(parts, ' '), 'KEEPTTL')
      end
    end
  end
end
return op
