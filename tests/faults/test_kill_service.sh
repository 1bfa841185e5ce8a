#!/usr/bin/env bash
# (a) kill -9 of one service process under a bounded mixed load (4 clients
# x 200 requests on isms-assets, lists and creates with Idempotency-Key,
# retrying what failed with the same key): nginx passes new requests to
# the service's second process at once, so clients see at most the
# requests that were in flight in the killed one; the supervisor starts
# the killed one again; every acknowledged create is stored exactly once.
# Usage: test_kill_service.sh FAULT_LOAD (the fault_load program)
# Environment: ISMS_ENV_FILE; ISMS_FAULT_SERVICE (default assets).
set -euo pipefail
fault_load=${1:?usage: test_kill_service.sh FAULT_LOAD}
# shellcheck source=tests/faults/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
svc=${ISMS_FAULT_SERVICE:-assets}
clients=4

victim=$(service_process "$svc")
backup=$(service_process "$svc-2")
read -r supervisor <"$ISMS_VAR/run/$svc.pid"
log=$ISMS_VAR/log/$svc.log
restarts() { grep -c "isms-$svc killed by signal 9; restarting" "$log" || true; }
restarts_before=$(restarts)
echo "isms-$svc: process $victim (supervisor $supervisor), second process ${backup:-none}"
check "isms-$svc runs, under a supervisor" test -n "$victim" -a "$victim" != "$supervisor"
check "isms-$svc has a second process for nginx to fall back on" test -n "$backup"

run_load "$fault_load" --clients "$clients" --requests 200 \
	--action "kill -9 $victim" --max-failed-attempts "$clients"

# The supervisor starts it again after 0.2 s; give it 10 s.
restarted=
for ((i = 0; i < 100; i++)); do
	restarted=$(service_process "$svc")
	[[ -z $restarted || $restarted == "$victim" ]] || break
	sleep 0.1
done
echo "isms-$svc: now process ${restarted:-none}"
check "the supervisor started isms-$svc again" test -n "$restarted" -a "$restarted" != "$victim"
check "the supervisor itself was not restarted" \
	test "$(cat "$ISMS_VAR/run/$svc.pid")" = "$supervisor"
check "the restart is in the service's log" test "$(restarts)" -gt "$restarts_before"
summary
