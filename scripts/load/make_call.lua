-- make_call with a new number each request (distinct across threads and
-- requests, so every one is admitted): +1 303 2xx-xxxx, 45x-xxxx, 7xx-xxxx
-- for threads 1 to 3 (at most 2.5 million requests each).
local threads = 0
function setup(thread)
  thread:set("base", 2000000 + threads * 2500000)
  threads = threads + 1
end
local n = 0
function request()
  n = n + 1
  local body = string.format('{"schedule_id": "load", "to": "+1303%07d"}', base + n)
  return wrk.format("POST", "/api/v1/schedules/make_call", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Basic cGtfbG9hZDpza19sb2FkXzNjOWUxZg==",
  }, body)
end
