-- wrk script for bench/Emulator.Bench (throughput with wrk as the load client, which costs far less CPU than .NET's).
-- Cycles through pre-signed create requests (one per line: client-id TAB request-time TAB signature TAB body).
local requests = {}
local i = 0
function init(args)
  local file = io.open(args[1], "r")
  for line in file:lines() do
    local client, time, signature, body = line:match("([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)")
    requests[#requests + 1] = wrk.format("POST", "/ams/sandbox/api/v1/subscriptions/create",
      { ["Content-Type"] = "application/json; charset=UTF-8", ["Client-Id"] = client, ["Request-Time"] = time, ["Signature"] = signature }, body)
  end
  file:close()
  pause = tonumber(args[2]) or 0
  -- Where to start in the file, so that a second run over the same file sends request ids the first did not.
  i = tonumber(args[3]) or 0
end
-- Each request id once; past the end of the file wrk would only replay (idempotent answers), so the file is made
-- larger than a run can use.
function request()
  i = i + 1
  if i > #requests then i = 1 end
  return requests[i]
end
-- With a pause (ms between one connection's requests), the run is paced: about connections / pause requests a ms.
function delay()
  return pause
end
