-- Shared by the bench's wrk scripts: records each response's kind, status and the
-- server's cost (the X-Bench-Cost header of bench/bench_middleware.py) in the thread,
-- and at the end writes every record and wrk's own summary to $BENCH_WRK_OUT, which
-- bench/bench_cases.py reads. One line per response: kind status cpu pg q wall gc.
local M = {}
local threads = {}

records = {} -- per thread (each wrk thread has its own Lua state); read by done()

function M.setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function M.record(kind, status, headers)
  local cost = headers["X-Bench-Cost"] or ""
  local cpu, pg, q, wall = cost:match("cpu=([%d.]+);pg=([%d.]+);db=[%d.]+;q=(%d+);wall=([%d.]+)")
  local gc = cost:match("gc=([%d.]+)")
  records[#records + 1] = string.format(
    "%s %d %s %s %s %s %s", kind, status, cpu or "-", pg or "-", q or "-", wall or "-", gc or "-"
  )
end

function M.done(summary, latency, requests)
  local out = assert(io.open(os.getenv("BENCH_WRK_OUT"), "w"))
  out:write(string.format(
    "summary %d %d %d %d %d %d %d %d\n",
    summary.duration, summary.requests, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout, summary.bytes
  ))
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    out:write(string.format("latency %s %d\n", p, latency:percentile(p)))
  end
  out:write(string.format("latency max %d\n", latency.max))
  for _, thread in ipairs(threads) do
    for _, line in ipairs(thread:get("records")) do
      out:write(line, "\n")
    end
  end
  out:close()
end

return M
