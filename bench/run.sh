#!/usr/bin/env bash
# make bench: the platform's throughput and latency against the machine's
# own ceilings, on a private stack with a large data set.
#
#  1. a fresh stack (scripts/stack.sh) in $BENCH_VAR on 127.0.0.1:$BENCH_PORT,
#     its write and login rate limits lifted (they would answer 429);
#     PostgreSQL with shared_buffers 1GB and room for pgbench's connections;
#  2. seed.sql through the database: 1,000 tenants, one of them with
#     1,000,000 assets, 200,000 risks, a full SoA and 5,000 evidence records;
#  3. per endpoint: one request with PostgreSQL's statement log on, turned
#     by capture.mjs into a pgbench script of the same statements, then wrk
#     through nginx and pgbench against PostgreSQL, both at $BENCH_CONNECTIONS
#     connections for $BENCH_SECONDS seconds;
#  4. each service's RSS, idle and after the load;
#  5. report.mjs prints the table and writes it into docs/performance.md.
#
# Environment (defaults): ISMS_BUILD_DIR (build), BENCH_VAR
# ($ISMS_BUILD_DIR/bench-var), BENCH_PORT (18090), BENCH_SECONDS (10),
# BENCH_CONNECTIONS (64), BENCH_KEEP (0; 1 leaves the stack running),
# BENCH_REUSE (0; 1 measures the previous run's data set again).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench=$repo/bench
abspath() { [[ $1 == /* ]] && echo "$1" || echo "$repo/$1"; }
ISMS_BUILD_DIR=$(abspath "${ISMS_BUILD_DIR:-build}")
ISMS_VAR=$(abspath "${BENCH_VAR:-$ISMS_BUILD_DIR/bench-var}")
ISMS_HTTP_PORT=${BENCH_PORT:-18090}
ISMS_HTTPS_PORT=off
# The limits protect a shared deployment from one client; here one client
# is the point.
ISMS_WRITE_RATE=1000000r/s ISMS_WRITE_BURST=1000000
ISMS_LOGIN_RATE=1000000r/s ISMS_LOGIN_BURST=1000000
export ISMS_BUILD_DIR ISMS_VAR ISMS_HTTP_PORT ISMS_HTTPS_PORT ISMS_WRITE_RATE \
	ISMS_WRITE_BURST ISMS_LOGIN_RATE ISMS_LOGIN_BURST
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
seconds=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-64}
threads=2
pg_bin=/usr/lib/postgresql/15/bin
url=http://127.0.0.1:$ISMS_HTTP_PORT
work=$ISMS_VAR/bench
password=bench-password-1234
started=$SECONDS

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

for tool in wrk node jq curl "$pg_bin/pgbench"; do
	command -v "$tool" >/dev/null || die "$tool is not installed (run: scripts/deps.sh)"
done

finish() {
	local rc=$?
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then
		log "the stack keeps running: ISMS_VAR=$ISMS_VAR scripts/stack.sh stop"
	else
		"$repo/scripts/stack.sh" stop >/dev/null || rc=1
	fi
	exit "$rc"
}

# --- the stack and the data -------------------------------------------

# BENCH_REUSE=1 keeps the data set of the previous run (the seed takes
# minutes); by default every run starts from nothing.
if [[ ${BENCH_REUSE:-0} == 1 && -s $work/tenant ]]; then
	log "reusing the stack and data set in $ISMS_VAR"
else
	log "starting a fresh stack in $ISMS_VAR"
	"$repo/scripts/stack.sh" destroy >/dev/null
fi
trap finish EXIT
"$repo/scripts/stack.sh" start >/dev/null
set -a
# shellcheck source=/dev/null
. "$ISMS_VAR/isms.env"
set +a
super() { "$pg_bin/psql" "$ISMS_SUPER_DATABASE_URL" -Atq "$@"; }
owner() { "$pg_bin/psql" "$ISMS_ADMIN_DATABASE_URL" -Atq "$@"; }
mkdir -p "$work"

seed_seconds=reused
if [[ ! -s $work/tenant ]]; then
	super -c "ALTER SYSTEM SET shared_buffers = '1GB'" \
		-c "ALTER SYSTEM SET max_connections = 200"
	"$repo/scripts/stack.sh" restart-db >/dev/null
	tenant_json=$(printf '%s\n' "$password" | "$ISMS_BUILD_DIR/bin/ismsctl" tenant create \
		--name "Bench Corp" --slug bench --admin-email admin@bench.example \
		--admin-password-stdin)
	log "seeding (1,000 tenants, 1,000,000 assets, 200,000 risks, SoA, 5,000 evidence)"
	seed_start=$SECONDS
	owner -v tenant="$(jq -r .id <<<"$tenant_json")" \
		-v admin="$(jq -r .admin_user_id <<<"$tenant_json")" \
		-o /dev/null -f "$bench/seed.sql" >&2
	super -c "ANALYZE"
	seed_seconds=$((SECONDS - seed_start))
	log "seeded in ${seed_seconds}s"
	jq -r .id <<<"$tenant_json" >"$work/tenant"
fi
tenant=$(cat "$work/tenant")

# The rows the requests name: an asset in the middle, and the cursor of
# the page that starts after row 900,000 (the cursor of the first page
# with its key replaced: the same encoding the service reads).
in_tenant() { # SQL -> value, in the large tenant's context
	owner -c "SELECT set_config('app.tenant_id', '$tenant', false)" -c "$1" | tail -n1
}
log "large tenant: $(in_tenant "SELECT format('%s assets, %s risks, %s SoA entries, %s evidence',
	(SELECT count(*) FROM assets), (SELECT count(*) FROM risks),
	(SELECT count(*) FROM soa_entries), (SELECT count(*) FROM evidence))");\
 tenants in all: $(owner -c "SELECT count(*) FROM tenants")"
asset_id=$(in_tenant "SELECT id FROM assets ORDER BY created_at, id OFFSET 500000 LIMIT 1")
deep_row=$(in_tenant "SELECT id || ' ' || to_char(created_at AT TIME ZONE 'UTC',
	'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM assets
	ORDER BY created_at, id OFFSET 899999 LIMIT 1")

token() {
	curl -fsS -H 'Content-Type: application/json' \
		-d "{\"email\":\"admin@bench.example\",\"password\":\"$password\",\"tenant\":\"bench\"}" \
		"$url/api/v1/auth/login" | jq -r .access_token
}
TOKEN=$(token)
first_cursor=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$url/api/v1/assets" |
	jq -r .next_cursor)
deep_cursor=$(node "$bench/cursor.mjs" "$first_cursor" $deep_row)

# --- measuring ---------------------------------------------------------

rss() { # -> "service KiB" per line, the larger of each service's instances
	local svc pid kib max
	for svc in auth assets risks controls audits; do
		max=0
		for pid in $(pgrep -x "isms-$svc"); do
			kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
			((${kib:-0} > max)) && max=$kib
		done
		echo "$svc $max"
	done
}
rss >"$work/rss-idle.txt"

# Statement logging on for exactly one request.
capture() { # name method path [body]
	local name=$1 method=$2 path=$3 body=${4:-} log=$ISMS_VAR/log/postgresql.log size i
	# Requests of the previous run may still be in flight: wait them out.
	for ((i = 0; i < 600; i++)); do
		[[ $(super -c "SELECT count(*) FROM pg_stat_activity
			WHERE usename = 'isms_app' AND state <> 'idle'") == 0 ]] && break
		sleep 0.1
	done
	super -c "ALTER SYSTEM SET log_statement = 'all'" \
		-c "ALTER SYSTEM SET log_line_prefix = '@@%p %u@@ '" -c "SELECT pg_reload_conf()" >/dev/null
	sleep 0.5
	size=$(stat -c %s "$log")
	curl -sS -o /dev/null -X "$method" ${TOKEN:+-H "Authorization: Bearer $TOKEN"} \
		${body:+-H 'Content-Type: application/json' -d "$body"} "$url$path"
	sleep 0.5
	super -c "ALTER SYSTEM RESET log_statement" -c "ALTER SYSTEM RESET log_line_prefix" \
		-c "SELECT pg_reload_conf()" >/dev/null
	tail -c +$((size + 1)) "$log" >"$work/$name.log"
	node "$bench/capture.mjs" "$work/$name.log" "$work/$name.pgbench" "$work/$name.defines" >&2
}

http() { # name method path [body]
	local name=$1 out
	out=$(BENCH_METHOD=$2 BENCH_PATH=$3 BENCH_BODY=${4:-} BENCH_TOKEN=$TOKEN \
		wrk -t"$threads" -c"$conns" -d"${seconds}s" --timeout 30s -s "$bench/request.lua" "$url" |
		sed -n 's/^BENCH //p')
	echo "{\"name\":\"$name\",\"kind\":\"http\",\"wrk\":$out}" >>"$work/results.jsonl"
}

ceiling() { # name
	local name=$1 defines=() line out
	while IFS= read -r line; do defines+=(-D "$line"); done <"$work/$name.defines"
	rm -f "$work"/pgbench_log.*
	out=$(cd "$work" && "$pg_bin/pgbench" -n -M prepared -c "$conns" -j "$threads" \
		-T "$seconds" -l --log-prefix=pgbench_log "${defines[@]}" \
		-f "$work/$name.pgbench" "$ISMS_DATABASE_URL" 2>&1) || {
		printf '%s\n' "$out" >&2
		die "pgbench failed for $name"
	}
	cat "$work"/pgbench_log.* >"$work/$name.pgbench-latency"
	node "$bench/report.mjs" pgbench "$name" "$work/$name.pgbench-latency" \
		<<<"$out" >>"$work/results.jsonl"
}

endpoint() { # name method path [body]
	log "$1: $2 $3"
	TOKEN=$(token)
	[[ $3 != /api/v1/auth/login ]] || TOKEN= # public: no credentials
	capture "$@"
	http "$@"
	ceiling "$1"
}

rm -f "$work/results.jsonl"
# CPU time the hypervisor gave to others (steal) while measuring: on a
# shared virtual machine it moves every figure.
grep '^cpu ' /proc/stat >"$work/cpu-start.txt"
endpoint get_asset GET "/api/v1/assets/$asset_id"
endpoint list_first GET "/api/v1/assets"
endpoint list_deep GET "/api/v1/assets?cursor=$deep_cursor"
endpoint create_asset POST /api/v1/assets '{"name":"Bench laptop","type":"hardware","tags":["bench"]}'
endpoint soa GET /api/v1/soa
endpoint heatmap GET /api/v1/risks/heatmap
endpoint login POST /api/v1/auth/login \
	"{\"email\":\"admin@bench.example\",\"password\":\"$password\",\"tenant\":\"bench\"}"
rss >"$work/rss-load.txt"
grep '^cpu ' /proc/stat >"$work/cpu-end.txt"

node "$bench/report.mjs" table "$work" "$repo/docs/performance.md" \
	"seed_seconds=$seed_seconds" "seconds=$seconds" "connections=$conns" \
	"total_seconds=$((SECONDS - started))"
