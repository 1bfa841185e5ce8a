#!/usr/bin/env bash
# ctest contract.routes: the routes the five services serve, taken from
# their route tables (routes.mjs; ISMS_PRINT_ROUTES=1 prints a service's
# table without starting it), against the operations of
# openapi/openapi.yaml (validate.mjs --routes): none may be missing on
# either side, and public/roles must agree with security and x-roles.
# routes.mjs also checks that nginx/nginx.conf.in sends every path to the
# service that serves it.
# Usage: routes.sh BIN_DIR   (the build tree's bin/)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:?usage: routes.sh BIN_DIR}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

rc=0
node "$here/routes.mjs" "$bin" "$repo/nginx/nginx.conf.in" "$out" || rc=1
if [[ -s $out ]]; then
	node "$here/validate.mjs" --routes "$repo/openapi/openapi.yaml" "$out" || rc=1
fi
exit "$rc"
