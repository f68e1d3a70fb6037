-- GET /api/item?id=N with N random over every seeded item (1..BENCH_ITEMS), so
-- the page cache is exercised rather than one hot row.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local items = tonumber(os.getenv("BENCH_ITEMS"))
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")

function request()
  return wrk.format("GET", "/api/item?id=" .. math.random(1, items))
end
