#!/usr/bin/env bash
# ctest docs.page: opens the API reference page (/docs, served by the test
# stack's nginx) in headless Chromium and checks that Swagger UI rendered
# every operation of the contract the stack serves (/openapi.yaml, the
# copy of openapi/openapi.yaml taken when the stack started;
# check-page.mjs). Chromium comes from Debian (scripts/deps.sh); nothing
# is fetched from outside the stack.
# Environment: ISMS_ENV_FILE (the stack's isms.env).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
set -a
# shellcheck source=/dev/null
. "${ISMS_ENV_FILE:?ISMS_ENV_FILE is not set}"
set +a
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

browser=
for b in chromium chromium-browser google-chrome; do
	if command -v "$b" >/dev/null; then
		browser=$b
		break
	fi
done
if [[ -z $browser ]]; then
	echo "docs.page: Chromium is not installed (run: scripts/deps.sh)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsS -o "$tmp/openapi.yaml" --max-time 10 "$ISMS_HTTP_URL/openapi.yaml"
curl -fsS -o /dev/null --max-time 10 "$ISMS_HTTP_URL/docs/swagger-ui-bundle.js" || {
	echo "docs.page: $ISMS_HTTP_URL/docs/swagger-ui-bundle.js is not served (npm missing when the stack started?)" >&2
	exit 1
}
# A fresh profile, no background traffic (updates, sync, field trials).
# --virtual-time-budget lets the page's scripts run to completion before
# the DOM is dumped.
timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
	--disable-dev-shm-usage --no-first-run --disable-background-networking \
	--disable-component-update --disable-sync --disable-default-apps \
	--disable-extensions --no-proxy-server --user-data-dir="$tmp/profile" \
	--virtual-time-budget=15000 --dump-dom "$ISMS_HTTP_URL/docs" \
	>"$tmp/dom.html" 2>"$tmp/chromium.log" || {
	echo "docs.page: $browser failed (exit $?):" >&2
	tail -n 20 "$tmp/chromium.log" >&2
	exit 1
}
echo "docs.page: $browser rendered $(wc -c <"$tmp/dom.html") bytes of DOM"
node "$here/check-page.mjs" "$tmp/dom.html" "$tmp/openapi.yaml"
