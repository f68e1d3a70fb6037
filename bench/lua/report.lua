-- Shared by every benchmark script: seeds each wrk thread's random numbers
-- differently and prints one machine-readable summary line the harness parses.
-- Latencies are in microseconds; `status` counts non-2xx/3xx answers.

local thread_counter = 0

function setup(thread)
  thread_counter = thread_counter + 1
  thread:set("thread_id", thread_counter)
end

function init(args)
  math.randomseed(os.time() * 100 + (thread_id or 0))
  if bench_init then bench_init(args) end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d status=%d connect=%d read=%d write=%d timeout=%d p50_us=%.1f p99_us=%.1f max_us=%.1f\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
