-- make_call with a new number each request (distinct across threads and
-- requests, so every one is admitted): +1 303 2xx-xxxx, 45x-xxxx, 7xx-xxxx
-- for threads 1 to 3 (at most 2.5 million requests each).
-- The request's head is built once per thread (the body's length never
-- changes): wrk shares the machine's two cores with the host, so its own
-- cost per request is kept small.
local threads = 0
function setup(thread)
  thread:set("base", 2000000 + threads * 2500000)
  threads = threads + 1
end

local function body(k)
  return string.format('{"schedule_id": "load", "to": "+1303%07d"}', k)
end

local head
local n = 0
function init(args)
  local sample = body(base)
  local full = wrk.format("POST", "/api/v1/schedules/make_call", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Basic cGtfbG9hZDpza19sb2FkXzNjOWUxZg==",
  }, sample)
  head = full:sub(1, #full - #sample)
end

function request()
  n = n + 1
  return head .. body(base + n)
end
