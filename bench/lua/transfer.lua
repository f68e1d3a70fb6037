-- POST /api/stock/transfer: moves 1-3 units of one of the transfer items
-- (ids 1..BENCH_TRANSFER_ITEMS) between locations BENCH_LOC_A and BENCH_LOC_B,
-- in a random direction. Both locations start with half of a large total, so a
-- transfer never runs out of stock; the harness checks the totals afterwards.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local pool = tonumber(os.getenv("BENCH_TRANSFER_ITEMS"))
local a = tonumber(os.getenv("BENCH_LOC_A"))
local b = tonumber(os.getenv("BENCH_LOC_B"))
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["Content-Type"] = "application/json"

function request()
  local from, to = a, b
  if math.random(2) == 1 then from, to = b, a end
  local body = string.format(
    '{"item_id":%d,"from_location_id":%d,"to_location_id":%d,"quantity":%d}',
    math.random(1, pool), from, to, math.random(1, 3))
  return wrk.format(nil, nil, nil, body)
end
