-- wrk script for bench/intake.py: counts responses by status in every thread and, in "sign" mode,
-- POSTs a signature with a unique email per request.
--   wrk -s bench/wrk_count.lua URL -- MODE PREFIX TOKEN ORIGIN     (MODE: get or sign)
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1] or "get"
  prefix = args[2] or "run"
  token = args[3] or ""
  origin = args[4] or ""
  counter = 0
  responses = {}
  -- built once: the load generator shares the machine, so its own work per request stays small
  get_request = wrk.format("GET")
  local head = wrk.format("POST", nil, {["Content-Type"] = "application/json",
                                        ["Authorization"] = "Bearer " .. token, ["Origin"] = origin})
  post_head = string.sub(head, 1, -3)  -- without the blank line: Content-Length goes there
end

function request()
  if mode ~= "sign" then
    return get_request
  end
  counter = counter + 1
  local body = string.format('{"full_name":"Bench Signer","email":"%s-%d-%d@bench.example","accept_terms":true}',
                             prefix, id, counter)
  return post_head .. "Content-Length: " .. #body .. "\r\n\r\n" .. body
end

function response(status, headers, body)
  responses[status] = (responses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("responses")
    for status, n in pairs(counts) do
      totals[status] = (totals[status] or 0) + n
    end
  end
  for status, n in pairs(totals) do
    io.write(string.format("STATUS %d %d\n", status, n))
  end
  io.write(string.format("ERRORS %d\n", summary.errors.connect + summary.errors.read + summary.errors.write
                                        + summary.errors.timeout))
  io.write(string.format("DURATION_US %d\n", summary.duration))
  io.write(string.format("P99_US %d\n", latency:percentile(99)))
end
