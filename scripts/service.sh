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
exec "$program"
