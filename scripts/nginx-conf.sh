#!/usr/bin/env bash
# Renders nginx/nginx.conf.in into $ISMS_VAR/nginx/nginx.conf next to a copy
# of nginx/fastcgi_params, and makes the directories nginx writes to. Used
# by scripts/stack.sh and docker/entrypoint.sh.
# Environment: ISMS_VAR (required), ISMS_HTTP_PORT (8080),
#   ISMS_HTTP_ADDR (127.0.0.1), ISMS_NGINX_DAEMON (on),
#   ISMS_LOGIN_RATE (10r/s), ISMS_LOGIN_BURST (20), ISMS_NGINX_TEMPLATE_DIR.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${ISMS_NGINX_TEMPLATE_DIR:-$here/../nginx}
var=${ISMS_VAR:?ISMS_VAR is not set}
out=$var/nginx

# sed replacement text: escape the delimiter, & and backslashes.
esc() { printf '%s' "$1" | sed -e 's/[|&\\]/\\&/g'; }

mkdir -p "$out/tmp" "$var/log" "$var/run"
sed -e "s|@VAR@|$(esc "$var")|g" \
	-e "s|@RUN_DIR@|$(esc "$var/run")|g" \
	-e "s|@HTTP_ADDR@|$(esc "${ISMS_HTTP_ADDR:-127.0.0.1}")|g" \
	-e "s|@HTTP_PORT@|$(esc "${ISMS_HTTP_PORT:-8080}")|g" \
	-e "s|@DAEMON@|$(esc "${ISMS_NGINX_DAEMON:-on}")|g" \
	-e "s|@LOGIN_RATE@|$(esc "${ISMS_LOGIN_RATE:-10r/s}")|g" \
	-e "s|@LOGIN_BURST@|$(esc "${ISMS_LOGIN_BURST:-20}")|g" \
	"$src/nginx.conf.in" >"$out/nginx.conf.tmp"
if grep -n '@[A-Z_]*@' "$out/nginx.conf.tmp" >&2; then
	echo "nginx-conf: unreplaced placeholders above" >&2
	exit 1
fi
mv "$out/nginx.conf.tmp" "$out/nginx.conf"
cp "$src/fastcgi_params" "$out/fastcgi_params"
