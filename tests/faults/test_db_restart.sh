#!/usr/bin/env bash
# PostgreSQL restarts under running services: every service must answer
# again right away (each worker reopens its connection on its next
# request) without being restarted itself.
set -euo pipefail
# shellcheck source=tests/faults/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
services=(auth assets risks controls audits)
# The service processes themselves: under supervision (scripts/service.sh)
# the pid file names the supervisor, which would not show a restart.
pids() {
	local f sup kids
	for f in "$ISMS_VAR"/run/*.pid; do
		[[ $f != */nginx.pid ]] || continue
		read -r sup <"$f"
		kids=$(ps -o pid= --ppid "$sup" | tr -d ' ' | sort)
		echo "$(basename "$f" .pid): ${kids:-$sup}"
	done
}
status_of() { curl -s -o /dev/null -w '%{http_code}' "$ISMS_HTTP_URL/readyz/$1"; }
# More requests than a service has workers, so every worker is tried.
all_ready() {
	local s i
	for s in "${services[@]}"; do
		for ((i = 0; i < 3 * ${ISMS_WORKERS:-4}; i++)); do
			[[ $(status_of "$s") == 200 ]] || {
				echo "  $s answered $(status_of "$s") on try $i"
				return 1
			}
		done
	done
}

before=$(pids)
check "ready before the restart" all_ready
"$repo/scripts/stack.sh" restart-db >/dev/null
check "ready at once after the restart, every worker" all_ready
check "no service was restarted" test "$before" = "$(pids)"
echo "$passed passed, $failed failed"
((failed == 0))
