-- Take and put, as the phone's quick actions do: every other request takes
-- one unit of a transfer item at BENCH_LOC_A (POST /api/stock/consume), the
-- others count one back to BENCH_LOC_A_UNITS (POST /api/stock/count), so the
-- shelf never runs out however long the run.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local pool = tonumber(os.getenv("BENCH_TRANSFER_ITEMS"))
local a = tonumber(os.getenv("BENCH_LOC_A"))
local full = tonumber(os.getenv("BENCH_LOC_A_UNITS"))
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["Content-Type"] = "application/json"

local n = 0

function request()
  n = n + 1
  local item = math.random(1, pool)
  if n % 2 == 1 then
    return wrk.format("POST", "/api/stock/consume", nil, string.format(
      '{"item_id":%d,"location_id":%d,"quantity":1}', item, a))
  end
  return wrk.format("POST", "/api/stock/count", nil, string.format(
    '{"item_id":%d,"location_id":%d,"counted":%d}', item, a, full))
end
