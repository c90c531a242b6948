-- wrk script for the feed benchmark: every request carries the session cookie of the next of many logged-in
-- residents, so the run spreads over many feeds instead of hammering one.
--   wrk -s bench/wrk_sessions.lua URL -- COOKIES_FILE COOKIE_NAME
-- done() prints one line "WRK_JSON {...}" (latencies in microseconds) with the count of responses that were not
-- 200: wrk itself counts only 4xx/5xx as errors, and a redirect to the login page must fail the benchmark too.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

local cookies = {}
local position = 0
not200 = 0
first_status = 0

function init(args)
  local file, name = args[1], args[2]
  for line in io.lines(file) do
    if #line > 0 then table.insert(cookies, name .. "=" .. line) end
  end
  -- Threads start at different places in the list, so they do not walk it in step.
  position = math.floor((thread_number - 1) * #cookies / 2)
end

function request()
  position = position % #cookies + 1
  return wrk.format("GET", nil, { ["Cookie"] = cookies[position] })
end

function response(status, headers, body)
  if status ~= 200 then
    not200 = not200 + 1
    if first_status == 0 then first_status = status end
  end
end

function done(summary, latency, requests)
  local bad, status = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("not200")
    if status == 0 then status = thread:get("first_status") end
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d,' ..
    '"not_200":%d,"first_bad_status":%d,"socket_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.mean, latency.max, bad, status, errors.connect + errors.read + errors.write, errors.timeout))
end
