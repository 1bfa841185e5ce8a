#!/usr/bin/env bash
# Installs the exact packages a folder's package-lock.json pins into its
# node_modules (npm ci), unless that very lockfile is already installed
# there. Used for the contract checker (tests/contract), the linters
# (tests/contract/lint) and the API reference page (nginx/docs).
# Usage: scripts/npm-deps.sh DIR
#
# A hash of the lockfile, package.json, .npmrc and the node version is
# kept in node_modules/.isms-installed after a successful install, so a
# second test run (the sanitizer pass, say) costs nothing. Installs into
# one folder are serialized with a lock: test runs of several build trees
# share the source tree. Each folder's .npmrc keeps registry addresses out
# of the lockfile and switches install scripts off.
set -euo pipefail

dir=${1:?usage: npm-deps.sh DIR}
dir=$(cd "$dir" && pwd)
[[ -f $dir/package-lock.json ]] || {
	echo "npm-deps: no package-lock.json in $dir" >&2
	exit 2
}
for tool in node npm flock sha256sum; do
	command -v "$tool" >/dev/null || {
		echo "npm-deps: $tool not installed (run: scripts/deps.sh)" >&2
		exit 1
	}
done

exec 9>"$dir/node_modules.lock"
flock 9
want=$({
	cat "$dir/package-lock.json" "$dir/package.json"
	cat "$dir/.npmrc" 2>/dev/null || true
	node --version
} | sha256sum | cut -c1-64)
stamp=$dir/node_modules/.isms-installed
if [[ -r $stamp && $(cat "$stamp") == "$want" ]]; then
	echo "npm-deps: $dir/node_modules is up to date"
	exit 0
fi
start=$SECONDS
# SCARF_ANALYTICS: a dependency's usage reporting, off even if scripts ran.
SCARF_ANALYTICS=false npm ci --prefix "$dir" --no-audit --no-fund
echo "$want" >"$stamp"
echo "npm-deps: installed $dir/node_modules in $((SECONDS - start)) s"
