-- wrk request script for make bench (bench/run.sh). The request comes from
-- the environment: BENCH_METHOD, BENCH_PATH, BENCH_BODY (JSON, optional),
-- BENCH_TOKEN (a bearer token, optional). At the end it prints one JSON
-- line the report reads: requests, duration, errors by kind, non-2xx/3xx
-- answers and latency percentiles in microseconds.
local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH")
local body = os.getenv("BENCH_BODY")
local token = os.getenv("BENCH_TOKEN")

wrk.method = method
wrk.path = path
wrk.headers["Accept"] = "application/json"
if body ~= nil and body ~= "" then
	wrk.body = body
	wrk.headers["Content-Type"] = "application/json"
end
if token ~= nil and token ~= "" then
	wrk.headers["Authorization"] = "Bearer " .. token
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		'BENCH {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,' ..
		'"write":%d,"timeout":%d,"status":%d,"p50_us":%d,"p99_us":%d,' ..
		'"max_us":%d}\n',
		summary.requests, summary.duration, e.connect, e.read, e.write,
		e.timeout, e.status, latency:percentile(50), latency:percentile(99),
		latency.max))
end
