-- wrk script for the bench: POSTs the body in $BENCH_BODY_FILE (or GETs when it is unset), with every "@@N@@"
-- in the body and in $BENCH_KEY_HEADER's value replaced by a number unique to this request, so every
-- request is a new invoice. With $BENCH_EXPECT set, every response body must contain that text (e.g. an IMS
-- reply's "Code":"100"); the others are counted as unexpected. Prints one JSON line with the figures at the end.
local threads = {}
local counter = 0
local template = nil
local bodyFile = os.getenv("BENCH_BODY_FILE")
local auth = os.getenv("BENCH_AUTH")
local cookie = os.getenv("BENCH_COOKIE")
local keyHeader = os.getenv("BENCH_KEY_HEADER")
local prefix = os.getenv("BENCH_PREFIX") or "r"
local expect = os.getenv("BENCH_EXPECT")
unexpected = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  if bodyFile ~= nil and bodyFile ~= "" then
    local f = assert(io.open(bodyFile, "rb"))
    template = f:read("*a")
    f:close()
  end
  wrk.headers["Content-Type"] = "application/json"
  if auth ~= nil and auth ~= "" then wrk.headers["Authorization"] = auth end
  if cookie ~= nil and cookie ~= "" then wrk.headers["Cookie"] = cookie end
end

function request()
  if template == nil then return wrk.format("GET", nil, nil, nil) end
  counter = counter + 1
  local n = prefix .. "-" .. tid .. "-" .. counter
  -- wrk.format uses the given table instead of wrk.headers, so the common headers are copied in.
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  if keyHeader ~= nil and keyHeader ~= "" then headers[keyHeader] = n end
  return wrk.format("POST", nil, headers, (template:gsub("@@N@@", n)))
end

-- Only defined when asked for: wrk reads every response body once a script has this function.
if expect ~= nil and expect ~= "" then
  function response(status, headers, body)
    if body == nil or not string.find(body, expect, 1, true) then unexpected = unexpected + 1 end
  end
end

function done(summary, latency, requests)
  local wrong = 0
  for _, thread in ipairs(threads) do wrong = wrong + (thread:get("unexpected") or 0) end
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"statusErrors":%d,"timeouts":%d,"unexpected":%d,"meanUs":%f,"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, wrong, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
