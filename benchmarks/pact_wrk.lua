-- wrk script for benchmarks/pact_bench.py: alternates the list (limit=10) and a footprint by id
-- (ids passed after --); prints the summary as one JSON line for the benchmark to read.
local ids = {}
local n = 0
init = function(args)
  for i = 1, #args do ids[i] = args[i] end
  n = 0
end
request = function()
  n = n + 1
  if n % 2 == 0 then
    return wrk.format("GET", "/3/footprints?limit=10")
  end
  return wrk.format("GET", "/3/footprints/" .. ids[(n % #ids) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("JSON{\"requests\":%d,\"errors\":%d,\"non2xx\":%d,\"p50_us\":%d,\"p95_us\":%d,\"p99_us\":%d,\"duration_us\":%d}\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(95), latency:percentile(99), summary.duration))
end
