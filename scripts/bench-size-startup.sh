#!/usr/bin/env bash
# bench-size-startup.sh: SPEC §6's binary budgets, measured.
#
# Builds the stripped release binary for the host (CGO off, -trimpath,
# -tags grpcnotrace, -ldflags "-s -w", as .goreleaser.yaml does), then
# reports
#   - its size, against the 32 MB budget;
#   - the median wall time of `fedctl --help` over RUNS runs (default 20,
#     after 3 warm-up runs), against the 30 ms budget: with hyperfine when
#     installed, else a loop over date +%s%N.
# With INITTRACE=1 it also lists the ten package initialisers that cost most
# (GODEBUG=inittrace=1), which is where slow start-up comes from.
#
# Exit status: 1 when a budget is exceeded, so CI can run it as a gate.
# Usage: scripts/bench-size-startup.sh
#        RUNS=50 INITTRACE=1 scripts/bench-size-startup.sh
set -euo pipefail

cd "$(dirname "$0")/.."

RUNS=${RUNS:-20}
MAX_MB=32
MAX_MS=30
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bin="$out/fedctl$(go env GOEXE)"

CGO_ENABLED=0 go build -trimpath -tags grpcnotrace -ldflags "-s -w" -o "$bin" .

fail=0
bytes=$(wc -c <"$bin")
size_mb=$(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1048576 }')
if awk -v b="$bytes" -v m="$MAX_MB" 'BEGIN { exit !(b > m * 1048576) }'; then
	size_verdict="OVER budget"
	fail=1
else
	size_verdict=ok
fi

for _ in 1 2 3; do "$bin" --help >/dev/null; done # warm the page cache

if command -v hyperfine >/dev/null; then
	json="$out/hyperfine.json"
	hyperfine --shell=none --warmup 3 --runs "$RUNS" --export-json "$json" \
		"$bin --help" >/dev/null
	median_ms=$(sed -n 's/.*"median": *\([0-9.eE+-]*\).*/\1/p' "$json" | head -1 |
		awk '{ printf "%.1f", $1 * 1000 }')
	min_ms=$(sed -n 's/.*"min": *\([0-9.eE+-]*\).*/\1/p' "$json" | head -1 |
		awk '{ printf "%.1f", $1 * 1000 }')
	method="hyperfine, $RUNS runs"
else
	samples="$out/samples"
	for _ in $(seq "$RUNS"); do
		start=$(date +%s%N)
		"$bin" --help >/dev/null
		end=$(date +%s%N)
		echo $(((end - start) / 1000))
	done | sort -n >"$samples"
	median_ms=$(awk '{ a[NR] = $1 } END {
		m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		printf "%.1f", m / 1000 }' "$samples")
	min_ms=$(head -1 "$samples" | awk '{ printf "%.1f", $1 / 1000 }')
	method="date loop, $RUNS runs"
fi
if awk -v t="$median_ms" -v m="$MAX_MS" 'BEGIN { exit !(t > m) }'; then
	time_verdict="OVER budget"
	fail=1
else
	time_verdict=ok
fi

printf 'binary size      %8s MB   (budget %d MB)   %s\n' "$size_mb" "$MAX_MB" "$size_verdict"
printf 'fedctl --help    %8s ms   (budget %d ms)   %s   [median, %s; min %s ms]\n' "$median_ms" "$MAX_MS" "$time_verdict" "$method" "$min_ms"
if [ -r /proc/loadavg ]; then
	# Start-up time is only meaningful on an idle machine: say how idle.
	printf 'load average     %s (%s CPUs)\n' "$(cut -d' ' -f1-3 /proc/loadavg)" "$(getconf _NPROCESSORS_ONLN)"
fi
printf 'platform         %s/%s, %s\n' "$(go env GOOS)" "$(go env GOARCH)" "$(go env GOVERSION)"

if [ "${INITTRACE:-0}" = 1 ]; then
	echo "costliest package initialisers (GODEBUG=inittrace=1):"
	GODEBUG=inittrace=1 "$bin" --help 2>&1 >/dev/null |
		awk '$1 == "init" { print $5, "ms", $2 }' | sort -rn | head -10 | sed 's/^/  /'
fi

exit "$fail"
