-- dialgate fleet admission: contract steps 9 to 12 in one atomic script.
--
-- KEYS[1] company state: "hw_sec hw_ns scale tat_sec tat_ns tat_f retention_s"
-- KEYS[2] the number's dials: "claim sec ns claim sec ns ..."
-- KEYS[3] the in-flight one-off lead of (schedule, number): "claim sec ns"
--
-- ARGV: 1 time mode ("s": the server's TIME, "d": the decision's time),
--       2 t_sec, 3 t_ns, 4 claim id (a decimal string, never a number),
--       5 one_off ("1"/"0"), 6 redial window s, 7 cps limit,
--       8 lease s (-1: no lease), 9 lease ns, 10 TTL margin ms,
--       11 in-flight TTL ms (passed through as written), 12 number of caps, then calls and per_s of each.
--
-- Lua numbers are doubles, exact to 2^53: no instant is ever one number.
-- Instants are (seconds, nanoseconds) pairs; the GCRA's theoretical arrival
-- time is a triple (sec, ns, f): sec + (ns + f / scale) / 1e9 seconds, the
-- exact value LocalAdmission keeps as nanoseconds times the limit. Every
-- number written back goes through string.format('%d', ...).
--
-- Answers: {0, sec, ns} admitted at (also for a retry of a claim taken); {1} a one-off lead in flight;
-- {2, at_sec, at_ns, until_sec, until_ns} recently dialled;
-- {3, cap index (1-based), count, clear_sec, clear_ns} a cap is full;
-- {4, sec, ns} over the CPS limit, passes from then.

local E9 = 1000000000
local floor, ceil, max, format = math.floor, math.ceil, math.max, string.format
local tonumber, call = tonumber, redis.call

local function fmt(x) return format('%d', x) end

-- (a * b) // d and (a * b) % d, for 0 <= a, b, d < 2^32, exactly: b is split
-- in 16-bit halves so no product passes 2^49.
local function muldiv(a, b, d)
  if a * b < 9007199254740992 then
    local q = floor(a * b / d)
    local r = a * b - q * d
    while r < 0 do q = q - 1; r = r + d end
    while r >= d do q = q + 1; r = r - d end
    return q, r
  end
  local bh = floor(b / 65536)
  local bl = b - bh * 65536
  local x = a * bh
  local q1 = floor(x / d)
  local r1 = x - q1 * d
  while r1 < 0 do q1 = q1 - 1; r1 = r1 + d end
  while r1 >= d do q1 = q1 + 1; r1 = r1 - d end
  local y = r1 * 65536 + a * bl
  local q2 = floor(y / d)
  local r2 = y - q2 * d
  while r2 < 0 do q2 = q2 - 1; r2 = r2 + d end
  while r2 >= d do q2 = q2 + 1; r2 = r2 - d end
  return q1 * 65536 + q2, r2
end

-- Instants (sec, ns): a < b, and a + whole seconds.
local function before(as, an, bs, bn)
  return as < bs or (as == bs and an < bn)
end

-- The time: the server's clock, or the decision's.
local ts, tn
if ARGV[1] == 's' then
  local now = call('TIME')
  ts = tonumber(now[1])
  tn = tonumber(now[2]) * 1000
else
  ts = tonumber(ARGV[2])
  tn = tonumber(ARGV[3])
end
local claim = ARGV[4]
local one_off = ARGV[5] == '1'
local window = tonumber(ARGV[6])
local cps = tonumber(ARGV[7])
local ncaps = tonumber(ARGV[12])

-- The company: high-water mark, GCRA, retention.
local hw_s, hw_n, scale, tat_s, tat_n, tat_f, ret = nil, nil, 0, 0, 0, 0, 0
local got = call('MGET', KEYS[1], KEYS[2], KEYS[3])
local state, raw, held = got[1], got[2], got[3]
if state then
  local a, b, c, d, e, f, g = string.match(state, '^(%d+) (%d+) (%d+) (%d+) (%d+) (%d+) (%d+)$')
  if a then
    hw_s, hw_n, scale = tonumber(a), tonumber(b), tonumber(c)
    tat_s, tat_n, tat_f, ret = tonumber(d), tonumber(e), tonumber(f), tonumber(g)
  end
end

-- Monotone time per company: decide at max(t, high-water).
local ns, nn = ts, tn
if hw_s and before(ns, nn, hw_s, hw_n) then ns, nn = hw_s, hw_n end

-- A retry of a claim already taken (its answer was lost to a timeout) is
-- answered as it was: admitted at the same instant, nothing taken twice.
-- Claim ids are unique, so a new request never matches.
if raw and string.find(raw, claim, 1, true) then
  for c, s, n in string.gmatch(raw, '(%d+) (%d+) (%d+)') do
    if c == claim then return {0, tonumber(s), tonumber(n)} end
  end
end

-- Step 9: a one-off lead in flight (one whose lease ended counts as
-- committed, no longer in flight).
if one_off then
  if held then
    local _, hs, hn = string.match(held, '^(%d+) (%d+) (%d+)$')
    local leased_out = false
    local lease_s, lease_n = tonumber(ARGV[8]), tonumber(ARGV[9])
    if hs and lease_s >= 0 then
      local es, en = tonumber(hs) + lease_s, tonumber(hn) + lease_n
      if en >= E9 then es = es + 1; en = en - E9 end
      leased_out = not before(ns, nn, es, en)
    end
    if not leased_out then return {1} end
  end
end

-- The retention: the longest window or cap the company has had.
local keep = max(ret, window)
local caps = {}
for i = 1, ncaps do
  local calls, per = tonumber(ARGV[11 + 2 * i]), tonumber(ARGV[12 + 2 * i])
  caps[i] = {calls, per}
  if per > keep then keep = per end
end

-- The number's dials, those still kept; the latest of them.
local dials = {}
local last_s, last_n = nil, nil
if raw then
  for c, s, n in string.gmatch(raw, '(%d+) (%d+) (%d+)') do
    local ds, dn = tonumber(s), tonumber(n)
    if before(ns, nn, ds + keep, dn) then
      dials[#dials + 1] = {c, ds, dn}
      if not last_s or before(last_s, last_n, ds, dn) then last_s, last_n = ds, dn end
    end
  end
end

-- Step 10: the latest unreleased dial inside the window.
if last_s and before(ns, nn, last_s + window, last_n) then
  return {2, last_s, last_n, last_s + window, last_n}
end

-- Step 11: every cap must have room. The first full cap names the refusal;
-- it clears when every cap has room.
local full, full_count = nil, 0
local clear_s, clear_n = ns, nn
for i = 1, ncaps do
  local calls, per = caps[i][1], caps[i][2]
  local times = {}
  for _, d in ipairs(dials) do
    if not before(ns, nn, d[2], d[3]) and before(ns, nn, d[2] + per, d[3]) then
      times[#times + 1] = {d[2], d[3]}
    end
  end
  if #times >= calls then
    table.sort(times, function(x, y) return before(x[1], x[2], y[1], y[2]) end)
    local oldest = times[#times - calls + 1]
    local cs, cn = oldest[1] + per, oldest[2]
    if before(clear_s, clear_n, cs, cn) then clear_s, clear_n = cs, cn end
    if not full then full, full_count = i, #times end
  end
end
if full then return {3, full, full_count, clear_s, clear_n} end

-- Step 12: the GCRA, exactly. TAT onto this limit's grid (rounded up).
local c = cps
if scale == 0 then
  tat_s, tat_n, tat_f = ns, nn, 0
elseif scale ~= c then
  local q, r = muldiv(tat_f, c, scale)
  if r > 0 then q = q + 1 end
  tat_f = q
  if tat_f >= c then tat_f = tat_f - c; tat_n = tat_n + 1 end
  if tat_n >= E9 then tat_n = tat_n - E9; tat_s = tat_s + 1 end
end
-- tat = max(TAT, now)
if before(tat_s, tat_n, ns, nn) then tat_s, tat_n, tat_f = ns, nn, 0 end
-- tau = (c - 1) / c s = (0, q, r); reject when tat > now + tau.
local tq, tr = muldiv(c - 1, E9, c)
local ls, ln, lf = ns, nn + tq, tr
if ln >= E9 then ln = ln - E9; ls = ls + 1 end
local over = tat_s > ls or (tat_s == ls and (tat_n > ln or (tat_n == ln and tat_f > lf)))
if over then
  -- earliest = tat - tau, rounded up to a whole nanosecond
  local es, en, ef = tat_s, tat_n - tq, tat_f - tr
  if ef < 0 then ef = ef + c; en = en - 1 end
  while en < 0 do en = en + E9; es = es - 1 end
  if ef > 0 then en = en + 1 end
  if en >= E9 then en = en - E9; es = es + 1 end
  return {4, es, en}
end
-- TAT + 1/c s
local iq, ir = muldiv(1, E9, c)
tat_f = tat_f + ir
if tat_f >= c then tat_f = tat_f - c; tat_n = tat_n + 1 end
tat_n = tat_n + iq
while tat_n >= E9 do tat_n = tat_n - E9; tat_s = tat_s + 1 end

-- Every guard passed: claim it all. Each key lives as long as a decision
-- can see it, plus the margin.
local lease_s, lease_n, margin = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local lease_ms = 0
if lease_s >= 0 then lease_ms = lease_s * 1000 + ceil(lease_n / 1000000) end
local tat_ms = (tat_s - ns) * 1000 + ceil((tat_n - nn) / 1000000) + 1
local company_ms = max(keep * 1000, lease_ms, tat_ms, 1) + margin
call('SET', KEYS[1], format('%d %d %d %d %d %d %d', ns, nn, c, tat_s, tat_n, tat_f, keep),
  'PX', fmt(company_ms))
local mine = claim .. format(' %d %d', ns, nn)
local parts = {}
for _, d in ipairs(dials) do
  parts[#parts + 1] = d[1] .. format(' %d %d', d[2], d[3])
end
parts[#parts + 1] = mine
call('SET', KEYS[2], table.concat(parts, ' '), 'PX', fmt(max(keep * 1000, 1) + margin))
if one_off then
  call('SET', KEYS[3], mine, 'PX', ARGV[11])
end
return {0, ns, nn}
