-- The yardstick: POST /bench/insert, a bare Django view doing one ORM INSERT.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local cost = require("cost")

wrk.method = "POST"
wrk.path = "/bench/insert"
setup = cost.setup
done = cost.done

function response(status, headers, body)
  cost.record("insert", status, headers)
end
