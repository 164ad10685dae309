-- wrk script for bench/tracking.sh: GET the paths of a file in turn (one path a line), each wrk
-- thread starting at its own place in the list, and write the figures as JSON when done.
--   ROTATE_PATHS=paths.txt ROTATE_RESULT=result.json wrk -s bench/rotate.lua http://127.0.0.1:PORT
-- Every case (tracking and the baseline route alike) goes through this script, so the client does
-- the same work per request whatever is measured.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local paths = {}
local counter = 0

function init(args)
  local file = os.getenv("ROTATE_PATHS")
  for line in io.lines(file) do
    if line ~= "" then paths[#paths + 1] = line end
  end
  if #paths == 0 then error("no paths in " .. file) end
  counter = (id or 0) * math.floor(#paths / math.max(1, #threads)) + (id or 0)
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  local out = io.open(os.getenv("ROTATE_RESULT"), "w")
  out:write(string.format(
    '{"requests": %d, "seconds": %.3f, "requestsPerSecond": %.1f, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latencyMicros": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
  out:close()
end
