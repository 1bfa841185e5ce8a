#!/usr/bin/env bash
# Entry point of the ISMS container images. It starts things through the
# same scripts/ pieces as the local stack (scripts/stack.sh), so the two
# cannot drift apart:
#   init              create the first JWT key pair if none, then migrate
#   service NAME      run one service (auth|assets|risks|controls|audits)
#   nginx             render nginx/nginx.conf.in and run nginx in the foreground
#   healthcheck NAME  exit 0 when that service's /readyz answers 200
#   anything else     run as a command
# The image sets ISMS_VAR=/var/lib/isms (sockets in run/, keys in keys/),
# ISMS_BIN_DIR, ISMS_SQL_DIR and ISMS_JWT_KEYS_DIR; compose adds the
# connection strings.
set -euo pipefail

home=/opt/isms
scripts=$home/scripts

case "${1:-help}" in
init)
	"$scripts/jwt-keys.sh" "$ISMS_JWT_KEYS_DIR"
	exec "$ISMS_BIN_DIR/ismsctl" migrate
	;;
service)
	exec "$scripts/service.sh" "${2:-}"
	;;
nginx)
	ISMS_HTTP_ADDR=0.0.0.0 ISMS_HTTP_PORT=${ISMS_HTTP_PORT:-8080} \
		ISMS_NGINX_DAEMON=off ISMS_NGINX_TEMPLATE_DIR=$home/nginx \
		"$scripts/nginx-conf.sh"
	# Container logs go to the container's output.
	ln -sf /dev/stdout "$ISMS_VAR/log/nginx-access.log"
	ln -sf /dev/stderr "$ISMS_VAR/log/nginx-error.log"
	exec nginx -p "$ISMS_VAR/nginx" -c "$ISMS_VAR/nginx/nginx.conf" -e stderr
	;;
healthcheck)
	# A FastCGI request straight to the service's socket: the service
	# images have no HTTP server of their own. No Status line means 200.
	name=${2:?usage: healthcheck NAME}
	reply=$(env -i REQUEST_METHOD=GET SCRIPT_NAME=/readyz DOCUMENT_URI=/readyz \
		REQUEST_URI="/readyz/$name" QUERY_STRING= SERVER_PROTOCOL=HTTP/1.1 \
		REMOTE_ADDR=127.0.0.1 REQUEST_ID=healthcheck \
		cgi-fcgi -bind -connect "$ISMS_VAR/run/isms-$name.sock")
	status=$(printf '%s\n' "$reply" | tr -d '\r' | sed -n '/^$/q; s/^Status: *\([0-9]*\).*/\1/p')
	[[ ${status:-200} == 200 ]]
	;;
help)
	sed -n '2,12p' "$0"
	;;
*)
	exec "$@"
	;;
esac
