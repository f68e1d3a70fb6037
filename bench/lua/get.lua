-- GET the URL given on the command line, with the bench user's Bearer token
-- (BENCH_TOKEN) when one is set.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
