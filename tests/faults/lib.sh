# Shared by the fault tests (sourced): the stack's environment, checks
# counted into "N passed, N failed", and the service processes.
# shellcheck shell=bash
: "${ISMS_ENV_FILE:?is not set}"
set -a
# shellcheck source=/dev/null
. "$ISMS_ENV_FILE"
set +a
# shellcheck disable=SC2034 # for the tests that source this
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
passed=0 failed=0

check() { # description, command...
	local what=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "ok    $what"
	else
		failed=$((failed + 1))
		echo "FAIL  $what"
	fi
}

# The process serving an instance (<name> or <name>-2): the child of its
# supervisor (scripts/service.sh), or the pid file's own process when it
# runs unsupervised. Empty when none runs.
service_process() { # instance
	local sup name=${1%-2} kids
	read -r sup <"$ISMS_VAR/run/$1.pid" 2>/dev/null || return 0
	kids=$(ps -o pid=,comm= --ppid "$sup" 2>/dev/null |
		awk -v c="isms-$name" '$2 == c { print $1 }')
	if [[ -n $kids ]]; then
		echo "$kids"
	elif [[ $(ps -o comm= -p "$sup" 2>/dev/null) == "isms-$name" ]]; then
		echo "$sup"
	fi
}

# "instance=pid" for every instance that has a pid file.
service_processes() {
	local f inst
	for f in "$ISMS_VAR"/run/*.pid; do
		inst=$(basename "$f" .pid)
		[[ $inst != nginx ]] || continue
		echo "$inst=$(service_process "$inst")"
	done
}

# Runs fault_load, keeps its checks in the counts (its last line is its own
# "N passed, N failed").
run_load() { # fault_load arguments...
	local out rc=0 p f
	out=$(mktemp)
	"$@" | tee "$out" || rc=$?
	if read -r p f < <(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out" | tail -n 1); then
		passed=$((passed + p)) failed=$((failed + f))
	fi
	rm -f "$out"
	if ((rc != 0 && failed == 0)); then
		failed=$((failed + 1))
		echo "FAIL  fault_load exited with status $rc"
	fi
}

summary() {
	echo "$passed passed, $failed failed"
	((failed == 0))
}
