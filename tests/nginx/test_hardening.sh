#!/usr/bin/env bash
# ctest nginx.hardening: what nginx adds in front of the services, checked
# over HTTP and HTTPS against the test stack, and against a private nginx
# rendered from the same template with tiny rate limits and no CORS origin
# (so that limits are hit in three requests, without touching the shared
# stack's buckets):
#   - HTTPS with the stack's self-signed certificate; TLS 1.2 and 1.3 only;
#     plain HTTP sent to the HTTPS port is a problem document
#   - security headers: X-Content-Type-Options (once) everywhere, the
#     API's and /docs' Content-Security-Policy, HSTS over HTTPS only
#   - Server: nginx, without a version
#   - CORS: the configured origin (ISMS_CORS_ORIGIN) gets the CORS headers
#     and preflight answers, any other origin none; without a configured
#     origin nobody gets any
#   - the write and login rate limits: 429 problem+json with Retry-After,
#     reads not limited
#   - every error nginx answers by itself is a problem document, never HTML
# Environment: ISMS_ENV_FILE (the stack's isms.env), ISMS_CORS_ORIGIN.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
set -a
# shellcheck source=/dev/null
. "${ISMS_ENV_FILE:?ISMS_ENV_FILE is not set}"
set +a
http=${ISMS_HTTP_URL:?}
https=${ISMS_HTTPS_URL:?the stack has no HTTPS listener (ISMS_HTTPS_PORT=off?)}
ca=${ISMS_TLS_CA:?}
origin=${ISMS_CORS_ORIGIN:?the test stack must set ISMS_CORS_ORIGIN}
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

tmp=$(mktemp -d)
private_pid=
cleanup() {
	if [[ -n $private_pid ]]; then
		kill -QUIT "$private_pid" 2>/dev/null || true
		wait "$private_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

passed=0 failed=0
ok() {
	passed=$((passed + 1))
	echo "ok - $1"
}
not_ok() {
	failed=$((failed + 1))
	echo "not ok - $1"
	[[ -z ${2:-} ]] || printf '    %s\n' "$2"
}
check() { # description command...
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# Fetches into $tmp/h (headers, lower-cased names) and $tmp/b (body); sets
# $status. Extra arguments go to curl.
fetch() {
	local code
	code=$(curl -s --max-time 10 -D "$tmp/h.raw" -o "$tmp/b" -w '%{http_code}' "$@") || code=000
	status=$code
	tr -d '\r' <"$tmp/h.raw" | sed -E 's/^([^:]+):/\L\1:/' >"$tmp/h"
}
header() { sed -n "s/^$1: //p" "$tmp/h" | tail -n 1; } # last value of a header
header_count() { grep -c "^$1:" "$tmp/h" || true; }
has_header() { grep -q "^$1:" "$tmp/h"; }
is_problem() { # status: a problem+json of that status, never HTML
	[[ $status == "$1" ]] &&
		[[ $(header content-type) == application/problem+json* ]] &&
		grep -q "^{\"type\":\"/problems/[a-z-]*\",.*\"status\":$1[,}]" "$tmp/b" &&
		! grep -qi '<html' "$tmp/b"
}
expect() { # description status-check...
	local what=$1
	shift
	if "$@"; then
		ok "$what"
	else
		not_ok "$what" "got $status; $(head -c 300 "$tmp/b" | tr '\n' ' '); headers: $(tr '\n' '|' <"$tmp/h")"
	fi
}

# --- plain HTTP (loopback) ---------------------------------------------------
fetch "$http/healthz"
expect "HTTP: /healthz answers 200" test "$status" = 200
expect "Server header is exactly 'nginx' (no version)" test "$(header server)" = nginx
expect "X-Content-Type-Options: nosniff" test "$(header x-content-type-options)" = nosniff
expect "X-Request-Id is nginx's 32 hex digits" grep -Eq '^x-request-id: [0-9a-f]{32}$' "$tmp/h"
expect "API Content-Security-Policy forbids everything" test "$(header content-security-policy)" = "default-src 'none'; frame-ancestors 'none'"
expect "X-Frame-Options: DENY" test "$(header x-frame-options)" = DENY
expect "no HSTS over plain HTTP" bash -c "! grep -q '^strict-transport-security:' '$tmp/h'"

fetch "$http/api/v1/auth/me"
expect "a service's answer (401) passes with the headers added" is_problem 401
expect "nosniff appears once on a service's answer" test "$(header_count x-content-type-options)" = 1
expect "Server header on a service's answer has no version" test "$(header server)" = nginx

# --- HTTPS -------------------------------------------------------------------
fetch --cacert "$ca" "$https/healthz"
expect "HTTPS: the self-signed certificate verifies for 127.0.0.1" test "$status" = 200
expect "HSTS over HTTPS, a year" test "$(header strict-transport-security)" = "max-age=31536000"
expect "nosniff over HTTPS" test "$(header x-content-type-options)" = nosniff
fetch --cacert "$ca" "$https/api/v1/auth/me"
expect "HTTPS reaches the services (401 problem)" is_problem 401
expect "HSTS on a service's answer over HTTPS" test "$(header strict-transport-security)" = "max-age=31536000"
fetch --cacert "$ca" --tlsv1.3 "$https/healthz"
expect "TLS 1.3 is accepted" test "$status" = 200
fetch --cacert "$ca" --tlsv1.2 --tls-max 1.2 "$https/healthz"
expect "TLS 1.2 is accepted" test "$status" = 200
fetch --cacert "$ca" --tlsv1.1 --tls-max 1.1 "$https/healthz"
expect "TLS 1.1 is refused" test "$status" = 000
fetch "$https/healthz"
expect "an unknown certificate is refused by a verifying client" test "$status" = 000
fetch "http://${https#https://}/healthz"
expect "plain HTTP to the HTTPS port: 400 problem, not HTML" is_problem 400

# --- the API reference page ---------------------------------------------------
fetch "$http/docs"
expect "/docs is HTML" test "$(header content-type)" = "text/html; charset=utf-8"
expect "/docs has its own CSP: own files only, no inline script" \
	test "$(header content-security-policy)" = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
expect "/docs keeps nosniff" test "$(header x-content-type-options)" = nosniff
expect "/docs has no inline script" bash -c "! grep -Eiq '<script>|<script[^>]*>[^<]' '$tmp/b'"
fetch "$http/openapi.yaml"
expect "/openapi.yaml is served as YAML" test "$(header content-type)" = "application/yaml; charset=utf-8"
expect "/openapi.yaml is the OpenAPI 3.1 contract" grep -q '^openapi: 3\.1\.' "$tmp/b"
fetch -H 'Range: bytes=0-9' "$http/openapi.yaml"
expect "no partial answers (Range ignored)" test "$status" = 200

# --- CORS (the test stack allows $origin) -------------------------------------
fetch -H "Origin: $origin" "$http/api/v1/auth/me"
expect "allowed origin: Access-Control-Allow-Origin names it" test "$(header access-control-allow-origin)" = "$origin"
expect "allowed origin: ETag, Location, X-Request-Id, Retry-After exposed" \
	bash -c "grep -q '^access-control-expose-headers: .*ETag' '$tmp/h' && grep -q '^access-control-expose-headers: .*Location' '$tmp/h' && grep -q '^access-control-expose-headers: .*X-Request-Id' '$tmp/h' && grep -q '^access-control-expose-headers: .*Retry-After' '$tmp/h'"
expect "Vary: Origin" test "$(header vary)" = Origin
expect "no credentials mode (bearer tokens, not cookies)" bash -c "! grep -q '^access-control-allow-credentials:' '$tmp/h'"
fetch -H "Origin: https://evil.example" "$http/api/v1/auth/me"
expect "other origin: no CORS header" bash -c "! grep -q '^access-control-' '$tmp/h'"
fetch -H "Origin: $origin.evil.example" "$http/api/v1/auth/me"
expect "origin with the allowed one as prefix: no CORS header" bash -c "! grep -q '^access-control-' '$tmp/h'"
fetch -X OPTIONS -H "Origin: $origin" -H 'Access-Control-Request-Method: PATCH' \
	-H 'Access-Control-Request-Headers: authorization, content-type, if-match, idempotency-key' \
	"$http/api/v1/assets/3f9a2c4e-8b1d-4e6f-9a7b-2c5d8e1f4a6b"
expect "preflight from the allowed origin: 204 from nginx" test "$status" = 204
expect "preflight: no body" test ! -s "$tmp/b"
expect "preflight: the methods" test "$(header access-control-allow-methods)" = "GET, POST, PUT, PATCH, DELETE"
expect "preflight: Authorization, Content-Type, If-Match, Idempotency-Key" \
	test "$(header access-control-allow-headers)" = "Authorization, Content-Type, If-Match, Idempotency-Key"
expect "preflight: Allow-Origin and Max-Age" \
	bash -c "[[ \$(sed -n 's/^access-control-allow-origin: //p' '$tmp/h') == '$origin' ]] && grep -q '^access-control-max-age: 600$' '$tmp/h'"
fetch --cacert "$ca" -X OPTIONS -H "Origin: $origin" -H 'Access-Control-Request-Method: POST' "$https/api/v1/assets"
expect "preflight over HTTPS: 204" test "$status" = 204
fetch -X OPTIONS -H "Origin: https://evil.example" -H 'Access-Control-Request-Method: POST' "$http/api/v1/assets"
expect "preflight from another origin: not answered (the service's 405)" is_problem 405
expect "preflight from another origin: no CORS header" bash -c "! grep -q '^access-control-' '$tmp/h'"
fetch -X OPTIONS -H "Origin: $origin" "$http/api/v1/assets"
expect "OPTIONS without Access-Control-Request-Method is no preflight" is_problem 405

# --- nginx's own errors: problem documents, never HTML -----------------------
fetch "$http/no/such/prefix"
expect "unknown path: 404 problem" is_problem 404
fetch "$http/_errors/404"
expect "internal error locations are not reachable: 404 problem" is_problem 404
fetch "$http/docs/no-such-file.js"
expect "missing /docs file: 404 problem" is_problem 404
fetch -X POST "$http/healthz"
expect "POST /healthz: 405 problem" is_problem 405
fetch -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "$http/healthz"
expect "oversized header: 400 problem" is_problem 400
fetch "$http/healthz?$(head -c 20000 /dev/zero | tr '\0' a)"
expect "oversized request line: 414 problem" is_problem 414
head -c $((2 * 1024 * 1024)) /dev/zero >"$tmp/big"
fetch -X POST -H 'Content-Type: application/json' --data-binary @"$tmp/big" "$http/api/v1/assets"
expect "oversized body: 413 problem" is_problem 413
fetch -H 'If-Match: "nope"' "$http/openapi.yaml"
expect "failed precondition on a static file: 412 problem" is_problem 412
printf 'GARBAGE\r\n\r\n' >"$tmp/garbage"
raw=$(curl -s --max-time 5 "telnet://${http#http://}" <"$tmp/garbage" || true)
if [[ $raw == *'"type":"/problems/bad-request"'* && $raw != *'<html'* ]]; then
	ok "unparsable request line: 400 problem"
else
	not_ok "unparsable request line: 400 problem" "$(printf '%s' "$raw" | head -c 300)"
fi

# --- a private nginx: tiny limits, no CORS origin, no TLS ---------------------
# Rendered by the same script from the same template into a private state
# directory: its upstream sockets do not exist (so the services answer 502
# there), its rate-limit buckets are its own.
port_base=$((${ISMS_HTTP_PORT:?} + 727))
for ((port = port_base; port < port_base + 20; port++)); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue # taken
	env -u ISMS_CORS_ORIGIN -u ISMS_HTTPS_PORT ISMS_VAR="$tmp/private" \
		ISMS_HTTP_PORT=$port ISMS_NGINX_DAEMON=off ISMS_WRITE_RATE=1r/m \
		ISMS_WRITE_BURST=1 ISMS_LOGIN_RATE=1r/m ISMS_LOGIN_BURST=1 \
		"$repo/scripts/nginx-conf.sh"
	nginx -q -p "$tmp/private/nginx" -c "$tmp/private/nginx/nginx.conf" \
		-e "$tmp/private/log/nginx-error.log" </dev/null >/dev/null 2>&1 &
	private_pid=$!
	for ((i = 0; i < 50; i++)); do
		curl -fs -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" && break 2
		kill -0 "$private_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -QUIT "$private_pid" 2>/dev/null || true
	wait "$private_pid" 2>/dev/null || true
	private_pid=
done
if [[ -z $private_pid ]]; then
	not_ok "private nginx started" "$(tail -n 5 "$tmp/private/log/nginx-error.log" 2>/dev/null)"
else
	ok "private nginx started on port $port"
	p=http://127.0.0.1:$port
	codes=()
	for i in 1 2 3; do
		fetch -X POST -H 'Content-Type: application/json' -d '{}' "$p/api/v1/assets"
		codes+=("$status")
	done
	expect "writes: the third within a minute is refused (${codes[*]})" is_problem 429
	expect "429 carries Retry-After" test "$(header retry-after)" = 1
	expect "429 carries X-Request-Id and nosniff" \
		bash -c "grep -Eq '^x-request-id: [0-9a-f]{32}$' '$tmp/h' && grep -q '^x-content-type-options: nosniff$' '$tmp/h'"
	fetch -X DELETE "$p/api/v1/assets/x"
	expect "every write method shares the bucket (DELETE refused)" is_problem 429
	fetch "$p/api/v1/assets"
	expect "reads are not limited (502: no services here)" is_problem 502
	fetch "$p/api/v1/assets"
	expect "reads are still not limited" is_problem 502
	codes=()
	for i in 1 2 3; do
		fetch -X POST -H 'Content-Type: application/json' -d '{}' "$p/api/v1/auth/login"
		codes+=("$status")
	done
	expect "login has a limit of its own: third refused (${codes[*]})" is_problem 429
	fetch -H "Origin: $origin" "$p/healthz"
	expect "no CORS origin configured: no CORS header, no Vary" bash -c "! grep -Eq '^(access-control-|vary:)' '$tmp/h'"
	fetch -X OPTIONS -H "Origin: $origin" -H 'Access-Control-Request-Method: POST' "$p/api/v1/assets"
	expect "no CORS origin configured: preflight not answered" bash -c "[[ $status != 204 ]] && ! grep -q '^access-control-' '$tmp/h'"
	expect "no CORS origin configured: still a problem document" is_problem 502
	fetch "$p/healthz"
	expect "no TLS configured: no HSTS" bash -c "! grep -q '^strict-transport-security:' '$tmp/h'"
fi

echo "$passed passed, $failed failed"
((failed == 0))
