-- One read kind, as the 东湖 officer: `-- KIND TOKEN PATH` for a fixed path (the queue
-- page and its variants), or `-- lookup TOKEN @FILE` for GET /api/v1/cases/{number} with
-- numbers drawn at random from FILE (one readable case number per line).
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local cost = require("cost")

setup = cost.setup
done = cost.done

local kind, numbers

function init(args)
  kind = args[1]
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  if args[3]:sub(1, 1) == "@" then
    numbers = {}
    for line in io.lines(args[3]:sub(2)) do
      numbers[#numbers + 1] = line
    end
    math.randomseed(7 * id + 1)
    request = function()
      local number = numbers[math.random(#numbers)]
      return wrk.format("GET", "/api/v1/cases/" .. number)
    end
  else
    wrk.path = args[3]
  end
end

function response(status, headers, body)
  cost.record(kind, status, headers)
end
