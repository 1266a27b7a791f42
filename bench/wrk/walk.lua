-- The case walk: each connection (one per wrk thread: run with -t N -c N) walks case
-- after case from receipt to completion, as cases/tests/test_examples.py example 1:
-- submit as the 黄州 clerk, then nine actions, each with the bearer token of the user
-- who performs it. `-- CLERK_TOKEN OFFICER_TOKEN AGENT_TOKEN SUBMISSION_FILE`.
-- A failed step is recorded with its status and the walk starts over with a new case.
-- After each finished walk, one POST /bench/insert (the yardstick, recorded as "insert"):
-- the yardstick served at the same time as the moves, on the same warm server under the
-- same load, so the ratio of the two does not drift with the machine between phases.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local cost = require("cost")

setup = cost.setup
done = cost.done
walks = 0

local steps = {
  { "check", "clerk", "{}" },
  { "transfer", "clerk", '{"carrier": "EMS", "waybill_number": "EMS-BENCH-1"}' },
  { "receive_transfer", "officer", '{"discrepancies": ""}' },
  { "accept", "officer", "{}" },
  { "approve", "officer", "{}" },
  { "issue_result", "officer", "{}" },
  { "ship", "officer", '{"method": "post", "carrier": "EMS", "waybill_number": "EMS-BENCH-2"}' },
  { "sign_for", "agent", "{}" },
  { "complete", "officer", "{}" },
}
local step = 0 -- 0: submit the next case; -1: the yardstick between two walks
local number
local auth, submission

function init(args)
  auth = { clerk = "Bearer " .. args[1], officer = "Bearer " .. args[2], agent = "Bearer " .. args[3] }
  local file = assert(io.open(args[4], "r"))
  submission = file:read("*a")
  file:close()
end

function request()
  if step == -1 then
    return wrk.format("POST", "/bench/insert")
  end
  if step == 0 then
    return wrk.format("POST", "/api/v1/cases",
      { Authorization = auth.clerk, ["Content-Type"] = "application/json" }, submission)
  end
  local action, who, body = steps[step][1], steps[step][2], steps[step][3]
  return wrk.format("POST", "/api/v1/cases/" .. number .. "/actions/" .. action,
    { Authorization = auth[who], ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if step == -1 then
    cost.record("insert", status, headers)
    step = 0
    return
  end
  if step == 0 then
    cost.record("submit", status, headers)
    number = status == 201 and body:match('"number"%s*:%s*"([^"]+)"') or nil
    if number then
      step = 1
    end
    return
  end
  cost.record(steps[step][1], status, headers)
  if status ~= 200 then
    step = 0
  elseif step == #steps then
    step = -1
    walks = walks + 1
  else
    step = step + 1
  end
end
