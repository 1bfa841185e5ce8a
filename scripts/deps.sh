#!/usr/bin/env bash
# The one list of Debian (bookworm) packages the project needs, and their
# installation. Usage: scripts/deps.sh [all|build|runtime|nginx]
#   all      (default) build, run the local stack and run every test
#   build    compile only (docker/Dockerfile's builder stage)
#   runtime  libraries and tools of the service image (docker only)
#   nginx    what the nginx image adds to that (docker only)
# As root, missing packages are installed with apt-get; otherwise the
# command to run is printed and the script exits 1. Nothing is started:
# the packaged nginx and PostgreSQL daemons stay down (policy-rc.d), since
# the stack runs its own private instances.
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config git libfcgi-dev libjansson-dev
	libjwt-dev check libsubunit-dev libargon2-dev libssl-dev
	libcurl4-openssl-dev libpq-dev)
stack_pkgs=(postgresql postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
	nginx-light curl openssl)
node_pkgs=(nodejs npm) # the contract tests only
# ctest docs.page renders the API reference page in a headless browser;
# ctest docs.integrators runs docs/integrators.md's curl and jq examples.
docs_pkgs=(chromium jq)
# make fuzz and make test-fuzz: clang and its libFuzzer/sanitizer runtimes.
fuzz_pkgs=(clang libclang-rt-14-dev)
# make bench: wrk drives the stack (pgbench comes with PostgreSQL).
bench_pkgs=(wrk)
runtime_pkgs=(libfcgi0ldbl libjansson4 libjwt0 libargon2-1 libpq5 libssl3
	openssl libfcgi-bin) # openssl: JWT keys; libfcgi-bin: the health check
nginx_pkgs=(nginx-light curl)

case "${1:-all}" in
all)
	wanted=("${build_pkgs[@]}" "${stack_pkgs[@]}" "${fuzz_pkgs[@]}" "${docs_pkgs[@]}"
		"${bench_pkgs[@]}")
	# A node from elsewhere (often newer than Debian's) is fine as it is.
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		wanted+=("${node_pkgs[@]}")
	fi
	;;
build) wanted=("${build_pkgs[@]}") ;;
runtime) wanted=("${runtime_pkgs[@]}") ;;
nginx) wanted=("${nginx_pkgs[@]}") ;;
*)
	echo "usage: $0 [all|build|runtime|nginx]" >&2
	exit 2
	;;
esac

missing=()
for pkg in "${wanted[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
	echo "deps: all ${#wanted[@]} packages present"
	exit 0
fi

if ((EUID != 0)); then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: install them with:" >&2
	echo "sudo apt-get install -y ${missing[*]}"
	exit 1
fi

echo "deps: installing ${missing[*]}"
# invoke-rc.d asks policy-rc.d before starting a service; 101 = "not allowed".
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
