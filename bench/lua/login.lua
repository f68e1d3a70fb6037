-- POST /api/login with the bench user's password, flat out. Each request claims
-- a different client address in X-Forwarded-For (the bench server trusts
-- 127.0.0.1 as a proxy), as a reverse proxy in front of many users would, so
-- the per-address login rate limit does not turn the run into a run of 429s.
-- After a 503 (every bcrypt slot taken) or 429 the thread pauses 50 ms, as a
-- client honouring Retry-After would (only sooner): a tight loop of refused
-- requests would measure wrk's speed at collecting 503s, not logins.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local body = string.format('{"username":"%s","password":"%s"}',
  os.getenv("BENCH_USER"), os.getenv("BENCH_PASSWORD"))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local refused = false

function request()
  wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d",
    math.random(0, 255), math.random(0, 255), math.random(1, 254))
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 503 or status == 429 then refused = true end
end

function delay()
  if refused then
    refused = false
    return 50
  end
  return 0
end
