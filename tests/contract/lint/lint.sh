#!/usr/bin/env bash
# Lints openapi/openapi.yaml with Redocly CLI (redocly.yaml: the
# recommended rules, warnings raised to errors) and Spectral
# (spectral.yaml: Spectral's OpenAPI rules and the OWASP API Security
# ruleset), from the packages pinned in package-lock.json. Exit 1 if
# either reports an error; Spectral's warnings are printed, then a count
# of findings per part of the spec. Nothing is fetched from the network.
#
#   scripts/npm-deps.sh tests/contract/lint      # once
#   tests/contract/lint/lint.sh                  # ctest contract.lint
#
# spectral.yaml's overrides name the spec by its path relative to this
# folder, so this lints the repository's spec only.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
spec=../../../openapi/openapi.yaml
bin=$here/node_modules/.bin
cd "$here"
[[ -x $bin/redocly && -x $bin/spectral ]] || {
	echo "lint: the linters are not installed (run: scripts/npm-deps.sh tests/contract/lint)" >&2
	exit 2
}
# No usage reports, update checks or banners from the tools.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
export SCARF_ANALYTICS=false NO_UPDATE_NOTIFIER=1 DO_NOT_TRACK=1

rc=0
echo "== Redocly CLI $("$bin/redocly" --version 2>/dev/null | tail -n1) (redocly.yaml)"
"$bin/redocly" lint --config redocly.yaml --format stylish "$spec" 2>&1 || rc=1

echo
echo "== Spectral $("$bin/spectral" --version) (spectral.yaml)"
report=$(mktemp)
trap 'rm -f "$report"' EXIT
"$bin/spectral" lint --ruleset spectral.yaml --fail-severity error \
	--format stylish --format json --output.json "$report" "$spec" || rc=1
node "$here/summary.mjs" "$report" || rc=1

if ((rc == 0)); then
	echo "lint: no errors"
else
	echo "lint: FAILED"
fi
exit "$rc"
