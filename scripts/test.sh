#!/usr/bin/env bash
# Runs every test (ctest) the way CI does, against a private test stack:
# a fresh state directory per run, and the stack always stopped at the end,
# pass or fail. The ctest fixture starts the stack (scripts/stack.sh start)
# with the environment exported here.
# Environment (defaults): ISMS_BUILD_DIR (build), ISMS_VAR
#   ($ISMS_BUILD_DIR/test-var), ISMS_HTTP_PORT (18080); extra arguments go
#   to ctest (e.g. -R integration).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
abspath() { [[ $1 == /* ]] && echo "$1" || echo "$repo/$1"; }

ISMS_BUILD_DIR=$(abspath "${ISMS_BUILD_DIR:-build}")
ISMS_VAR=$(abspath "${ISMS_VAR:-$ISMS_BUILD_DIR/test-var}")
ISMS_HTTP_PORT=${ISMS_HTTP_PORT:-18080}
ISMS_WITH_PGTAP=1
export ISMS_BUILD_DIR ISMS_VAR ISMS_HTTP_PORT ISMS_WITH_PGTAP
# The tests talk to 127.0.0.1 only; a proxy from the environment must not
# get in the way (curl and libcurl both read these).
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

finish() {
	local rc=$?
	"$repo/scripts/stack.sh" stop || rc=1
	# A sanitizer report in a service's log fails the run (test-sanitize).
	if grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
		"$ISMS_VAR"/log/*.log 2>/dev/null; then
		echo "test: sanitizer reports in the service logs above" >&2
		rc=1
	fi
	if ((rc != 0)) && [[ -d $ISMS_VAR/log ]]; then
		local f
		for f in "$ISMS_VAR"/log/*.log; do
			[[ $f != */nginx-access.log ]] || continue # the readiness polls
			printf '\n==== tail of %s ====\n' "$f"
			tail -n 40 "$f"
		done
	fi
	if ((rc == 0)); then
		echo "test: passed"
	else
		echo "test: FAILED (exit $rc)"
	fi
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ ! -f $ISMS_BUILD_DIR/CTestTestfile.cmake ]]; then
	echo "test: no tests configured in $ISMS_BUILD_DIR (run: make build)" >&2
	exit 1
fi
# A fresh database each run; also stops a stack a killed run left behind.
"$repo/scripts/stack.sh" destroy
ctest --test-dir "$ISMS_BUILD_DIR" --output-on-failure "$@"
