#!/usr/bin/env bash
# Renders nginx/nginx.conf.in into $ISMS_VAR/nginx/nginx.conf next to
# copies of nginx/fastcgi_params, headers.conf and docs-types.conf, renders
# tls.conf (the HTTPS listener, or nothing), and makes the directories nginx
# writes to. Used by scripts/stack.sh and docker/entrypoint.sh.
# Environment: ISMS_VAR (required), ISMS_HTTP_PORT (8080),
#   ISMS_HTTP_ADDR (127.0.0.1), ISMS_NGINX_DAEMON (on),
#   ISMS_LOGIN_RATE (10r/s), ISMS_LOGIN_BURST (20),
#   ISMS_WRITE_RATE (50r/s), ISMS_WRITE_BURST (200): writes per client,
#   ISMS_HTTPS_PORT (none: no HTTPS listener), ISMS_TLS_CERT and
#   ISMS_TLS_KEY ($ISMS_VAR/tls/cert.pem, key.pem) when it is set,
#   ISMS_CORS_ORIGIN (none: no CORS headers) the one browser origin allowed,
#   e.g. https://app.example.com,
#   ISMS_DOCS_DIR ($ISMS_VAR/nginx/docs): the files of /docs,
#   ISMS_NGINX_TEMPLATE_DIR.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${ISMS_NGINX_TEMPLATE_DIR:-$here/../nginx}
var=${ISMS_VAR:?ISMS_VAR is not set}
out=$var/nginx

# sed replacement text: escape the delimiter, & and backslashes.
esc() { printf '%s' "$1" | sed -e 's/[|&\\]/\\&/g'; }
die() {
	echo "nginx-conf: $*" >&2
	exit 1
}

rate_re='^[1-9][0-9]*r/[sm]$'
burst_re='^[1-9][0-9]*$'
login_rate=${ISMS_LOGIN_RATE:-10r/s}
login_burst=${ISMS_LOGIN_BURST:-20}
write_rate=${ISMS_WRITE_RATE:-50r/s}
write_burst=${ISMS_WRITE_BURST:-200}
[[ $login_rate =~ $rate_re && $write_rate =~ $rate_re ]] ||
	die "ISMS_LOGIN_RATE and ISMS_WRITE_RATE are rates like 10r/s or 600r/m"
[[ $login_burst =~ $burst_re && $write_burst =~ $burst_re ]] ||
	die "ISMS_LOGIN_BURST and ISMS_WRITE_BURST are whole numbers from 1"

# An origin is scheme://host[:port], exactly as browsers send it.
cors_origin=${ISMS_CORS_ORIGIN:-}
cors_vary=
if [[ -n $cors_origin ]]; then
	[[ $cors_origin =~ ^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$ ]] ||
		die "ISMS_CORS_ORIGIN must be an origin like https://app.example.com, got '$cors_origin'"
	cors_vary=Origin
fi

https_port=${ISMS_HTTPS_PORT:-}
if [[ -n $https_port ]]; then
	[[ $https_port =~ ^[0-9]{1,5}$ ]] || die "ISMS_HTTPS_PORT must be a port number"
	tls_cert=${ISMS_TLS_CERT:-$var/tls/cert.pem}
	tls_key=${ISMS_TLS_KEY:-$var/tls/key.pem}
	[[ -r $tls_cert && -r $tls_key ]] ||
		die "no TLS certificate and key at $tls_cert, $tls_key (scripts/tls-cert.sh makes them)"
fi

mkdir -p "$out/tmp" "$var/log" "$var/run"
sed -e "s|@VAR@|$(esc "$var")|g" \
	-e "s|@RUN_DIR@|$(esc "$var/run")|g" \
	-e "s|@HTTP_ADDR@|$(esc "${ISMS_HTTP_ADDR:-127.0.0.1}")|g" \
	-e "s|@HTTP_PORT@|$(esc "${ISMS_HTTP_PORT:-8080}")|g" \
	-e "s|@DAEMON@|$(esc "${ISMS_NGINX_DAEMON:-on}")|g" \
	-e "s|@LOGIN_RATE@|$(esc "$login_rate")|g" \
	-e "s|@LOGIN_BURST@|$(esc "$login_burst")|g" \
	-e "s|@WRITE_RATE@|$(esc "$write_rate")|g" \
	-e "s|@WRITE_BURST@|$(esc "$write_burst")|g" \
	-e "s|@CORS_ORIGIN@|$(esc "$cors_origin")|g" \
	-e "s|@CORS_VARY@|$(esc "$cors_vary")|g" \
	-e "s|@DOCS_DIR@|$(esc "${ISMS_DOCS_DIR:-$out/docs}")|g" \
	"$src/nginx.conf.in" >"$out/nginx.conf.tmp"
if [[ -n $https_port ]]; then
	sed -e "s|@HTTP_ADDR@|$(esc "${ISMS_HTTP_ADDR:-127.0.0.1}")|g" \
		-e "s|@HTTPS_PORT@|$(esc "$https_port")|g" \
		-e "s|@TLS_CERT@|$(esc "$tls_cert")|g" \
		-e "s|@TLS_KEY@|$(esc "$tls_key")|g" \
		"$src/tls.conf.in" >"$out/tls.conf"
else
	echo "# No HTTPS listener (ISMS_HTTPS_PORT is not set)." >"$out/tls.conf"
fi
if grep -n '@[A-Z_]*@' "$out/nginx.conf.tmp" "$out/tls.conf" >&2; then
	echo "nginx-conf: unreplaced placeholders above" >&2
	exit 1
fi
mv "$out/nginx.conf.tmp" "$out/nginx.conf"
cp "$src/fastcgi_params" "$src/headers.conf" "$src/docs-types.conf" "$out/"
