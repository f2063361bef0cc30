-- wrk script: authenticated POST /v1/needs, a new need per request. With KEYS=1 in the
-- environment every request carries its own Idempotency-Key (as real clients send).
local token = os.getenv("TOKEN") or ""
local keys = os.getenv("KEYS") == "1"
local counter = 0

function setup(thread)
  thread:set("prefix", tostring(math.random(1, 1e9)))
end

-- The need sent: bench/need.json (the open-loop latency run sends the same file).
local file = assert(io.open("bench/need.json", "r"))
local body = file:read("*a"):gsub("%s+$", "")
file:close()

function request()
  counter = counter + 1
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
  if keys then headers["Idempotency-Key"] = (prefix or "p") .. "-" .. counter end
  return wrk.format("POST", "/v1/needs", headers, body)
end

function done(summary, latency, requests)
  io.write(string.format("WRK requests=%d seconds=%.3f non2xx=%d errors=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
