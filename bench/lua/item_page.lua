-- GET /inventory?item=N (the item page) with N random over every seeded
-- item (1..BENCH_ITEMS).
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local items = tonumber(os.getenv("BENCH_ITEMS"))
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")

function request()
  return wrk.format("GET", "/inventory?item=" .. math.random(1, items))
end
