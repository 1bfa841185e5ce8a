#!/usr/bin/env bash
# Runs one fuzz target: replays every input in regressions/<name>/ (each a
# crash once found; any failure fails the run), then fuzzes from the seeds
# in corpus/<name>/ for ISMS_FUZZ_SECONDS (default 10). New inputs go to a
# scratch corpus under the work directory, crashes to its artifacts/; with
# ISMS_FUZZ_UPDATE=1 the inputs that add coverage are merged into
# corpus/<name>/ afterwards (make fuzz-update).
# Usage: run.sh BINARY NAME MAX_LEN WORK_DIR
set -euo pipefail

bin=$1 name=$2 max_len=$3 work=$4
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
seconds=${ISMS_FUZZ_SECONDS:-10}
corpus=$here/corpus/$name
regressions=$here/regressions/$name
scratch=$work/corpus/$name
artifacts=$work/artifacts/$name
mkdir -p "$scratch" "$artifacts"
# Reports go to the fuzzer's own copy of stderr; the services' request
# logs (one line per input) are dropped.
common=(-close_fd_mask=2 -rss_limit_mb=4096 -timeout=20
	"-artifact_prefix=$artifacts/")

shopt -s nullglob
replay=("$regressions"/*)
if ((${#replay[@]} > 0)); then
	echo "fuzz $name: replaying ${#replay[@]} regression input(s)"
	"$bin" "${common[@]}" "${replay[@]}"
fi

dirs=("$scratch")
[[ -d $corpus ]] && dirs+=("$corpus")
echo "fuzz $name: fuzzing for $seconds s (seeds: $corpus, new inputs: $scratch)"
# The whole output goes to logs/<name>.log; progress lines (new coverage,
# reductions) are left out of what is shown.
mkdir -p "$work/logs" "$work/summary"
log=$work/logs/$name.log
set +e
"$bin" "${common[@]}" -max_len="$max_len" -max_total_time="$seconds" \
	-print_final_stats=1 "${dirs[@]}" >"$log" 2>&1
status=$?
set -e
grep -vE '^#[0-9]+ +(NEW|REDUCE|pulse) ' "$log" || true
stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
cov=$(sed -n 's/^#[0-9]*[[:space:]]*DONE[[:space:]]*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 edges, \2 features/p' "$log")
printf 'fuzz %-8s %9s runs in %s s, %6s exec/s, %s, %s new inputs, peak RSS %s MB\n' \
	"$name" "$(stat number_of_executed_units)" "$seconds" \
	"$(stat average_exec_per_sec)" "${cov:-coverage unknown}" \
	"$(stat new_units_added)" "$(stat peak_rss_mb)" | tee "$work/summary/$name.txt"
if ((status != 0)); then
	echo "fuzz $name: FAILED (exit $status); inputs in $artifacts:" >&2
	ls -l "$artifacts" >&2
	exit "$status"
fi
if [[ ${ISMS_FUZZ_UPDATE:-0} == 1 ]]; then
	mkdir -p "$corpus"
	before=$(find "$corpus" -type f | wc -l)
	"$bin" -close_fd_mask=2 -merge=1 -max_len="$max_len" "$corpus" \
		"$scratch" >/dev/null 2>&1
	echo "fuzz $name: corpus $before -> $(find "$corpus" -type f | wc -l) inputs"
fi
echo "fuzz $name: passed"
