#!/usr/bin/env bash
# Runs one ISMS service in the foreground: scripts/stack.sh starts it in the
# background, docker/entrypoint.sh as a container's main process, so both
# start the services the same way.
# Usage: scripts/service.sh auth|assets|risks|controls|audits
# Environment:
#   ISMS_ENV_FILE  optional KEY='value' file to load first (the stack's isms.env)
#   ISMS_BIN_DIR   where isms-<name> is (default: $ISMS_BUILD_DIR/bin, then <repo>/build/bin)
#   ISMS_LISTEN    FastCGI socket (default: $ISMS_VAR/run/isms-<name>.sock)
#   ISMS_PID_FILE  optional file to write this process's pid into
#   ISMS_SUPERVISE 1: stay as the service's supervisor (scripts/stack.sh):
#                  run isms-<name> as a child and start it again when it
#                  dies (kill -9, a crash), after 0.2 s doubling to 5 s
#                  while it keeps dying young; SIGTERM or SIGINT stop the
#                  child and the supervisor. Otherwise (containers, whose
#                  runtime restarts them) this script becomes the service.
set -euo pipefail

name=${1:-}
case "$name" in
auth | assets | risks | controls | audits) ;;
*)
	echo "usage: $0 auth|assets|risks|controls|audits" >&2
	exit 2
	;;
esac

if [[ -n ${ISMS_ENV_FILE:-} ]]; then
	set -a
	# shellcheck source=/dev/null
	. "$ISMS_ENV_FILE"
	set +a
fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin_dir=${ISMS_BIN_DIR:-${ISMS_BUILD_DIR:-$repo/build}/bin}
program=$bin_dir/isms-$name
if [[ ! -x $program ]]; then
	echo "service: $program not found; build it first (make build)" >&2
	exit 127
fi

: "${ISMS_VAR:=$repo/var}"
export ISMS_LISTEN=${ISMS_LISTEN:-$ISMS_VAR/run/isms-$name.sock}
# A socket left by a crashed run would make bind() fail; the caller ensures
# no live copy of this service owns it.
if [[ $ISMS_LISTEN == /* && -S $ISMS_LISTEN ]]; then
	rm -f "$ISMS_LISTEN"
fi

if [[ -n ${ISMS_PID_FILE:-} ]]; then
	echo $$ >"$ISMS_PID_FILE"
fi
if [[ ${ISMS_SUPERVISE:-0} != 1 ]]; then
	exec "$program"
fi

# --- supervision -----------------------------------------------------------

note() { # level message: a JSON line like the service's own events
	printf '{"time":"%s","level":"%s","service":"isms-%s","message":"supervisor: %s"}\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$1" "$name" "$2" >&2
}

child='' stopping=0
stop() {
	stopping=1
	[[ -z $child ]] || kill -TERM "$child" 2>/dev/null || true
}
trap stop TERM INT

delay=0.2 young=0
while :; do
	# The socket of a killed child is left behind; bind() would refuse.
	if [[ $ISMS_LISTEN == /* && -S $ISMS_LISTEN ]]; then
		rm -f "$ISMS_LISTEN"
	fi
	started=$SECONDS
	"$program" &
	child=$!
	# A trapped signal interrupts wait; wait again until the child is gone.
	# (wait's stderr: bash's own "Killed" line; the note below says it.)
	while :; do
		status=0
		wait "$child" 2>/dev/null || status=$?
		kill -0 "$child" 2>/dev/null || break
	done
	child=''
	((stopping == 0)) || exit "$status"
	# A clean exit was asked for (SIGTERM to the service itself); 2 is a
	# configuration error and 126/127 a program that cannot run: starting
	# again would not help.
	case $status in
	0 | 2 | 126 | 127)
		note info "isms-$name exited with status $status; not restarting"
		exit "$status"
		;;
	esac
	if ((SECONDS - started >= 10)); then
		delay=0.2 young=0
	elif ((++young >= 10)); then
		note error "isms-$name died $young times within 10 s of starting; giving up"
		exit "$status"
	fi
	if ((status > 128)); then
		note error "isms-$name killed by signal $((status - 128)); restarting in $delay s"
	else
		note error "isms-$name exited with status $status; restarting in $delay s"
	fi
	sleep "$delay" &
	sleeper=$!
	wait "$sleeper" || true
	kill "$sleeper" 2>/dev/null || true
	((stopping == 0)) || exit "$status"
	delay=$(awk -v d="$delay" 'BEGIN { d *= 2; print (d > 5 ? 5 : d) }')
done
