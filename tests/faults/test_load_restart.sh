#!/usr/bin/env bash
# (b) PostgreSQL restarts (scripts/stack.sh restart-db) under a bounded
# mixed load (4 clients x 200 requests on isms-assets, lists and creates
# with Idempotency-Key, retrying 502/503/504 with the same key): the
# services reconnect within seconds without being restarted, and every
# create acknowledged with a 2xx is stored exactly once. Then PostgreSQL
# restarts again with every connection idle, and the requests that follow,
# one at a time and sent once, must each be served in the tenant's
# transaction (a worker whose connection died idle reconnects for it).
# Usage: test_load_restart.sh FAULT_LOAD (the fault_load program)
# Environment: ISMS_ENV_FILE.
set -euo pipefail
fault_load=${1:?usage: test_load_restart.sh FAULT_LOAD}
# shellcheck source=tests/faults/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

before=$(service_processes)
run_load "$fault_load" --clients 4 --requests 200 \
	--action "$repo/scripts/stack.sh restart-db >/dev/null" --max-outage 10 \
	--idle-action "$repo/scripts/stack.sh restart-db >/dev/null" \
	--idle-requests $((6 * ${ISMS_WORKERS:-4}))
after=$(service_processes)
check "no service process was restarted" test "$before" = "$after"
[[ $before == "$after" ]] || diff <(echo "$before") <(echo "$after") || true
summary
