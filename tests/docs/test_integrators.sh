#!/usr/bin/env bash
# ctest docs.integrators: runs the examples of docs/integrators.md
# (run-doc.mjs) against the test stack over HTTPS, as a new tenant's admin
# would: the tenant is created here with ismsctl, as an operator does, and
# the examples get the variables the document asks for (ISMS_URL,
# ISMS_EMAIL, ISMS_PASSWORD; CURL_CA_BUNDLE for the self-signed
# certificate). Every example must succeed and print what the document
# shows.
# Environment: ISMS_ENV_FILE (the stack's isms.env), ISMS_BUILD_DIR.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
set -a
# shellcheck source=/dev/null
. "${ISMS_ENV_FILE:?ISMS_ENV_FILE is not set}"
set +a
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
for tool in curl jq openssl; do
	command -v "$tool" >/dev/null || {
		echo "docs.integrators: $tool is not installed (run: scripts/deps.sh)" >&2
		exit 1
	}
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
id=$(openssl rand -hex 6)
export ISMS_EMAIL="admin-$id@doc.example"
export ISMS_PASSWORD="docs passphrase $id"
printf '%s\n' "$ISMS_PASSWORD" |
	"${ISMS_BUILD_DIR:?}/bin/ismsctl" tenant create --name "Docs $id" \
		--slug "docs-$id" --admin-email "$ISMS_EMAIL" --admin-password-stdin >/dev/null
export ISMS_URL=${ISMS_HTTPS_URL:?the stack has no HTTPS listener}
export CURL_CA_BUNDLE=${ISMS_TLS_CA:?}

node "$here/run-doc.mjs" "$repo/docs/integrators.md" "$work"
