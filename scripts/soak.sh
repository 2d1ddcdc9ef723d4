#!/bin/sh
# Fault soak: N setup → plan → teardown cycles for impersonation, wif and the
# audit sink against the emulator with injected faults (internal/soak).
#   scripts/soak.sh                      # 10 cycles at 30 % 503s
#   scripts/soak.sh -cycles 20 -rate 0.1 -resets 0.05 -seed 7
set -eu
cd "$(dirname "$0")/.."
exec go test -tags soak -count=1 -v -timeout 30m -run TestSoak ./internal/soak -args "$@"
