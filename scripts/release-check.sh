#!/usr/bin/env bash
# release-check.sh: catch a broken release before a tag, without goreleaser.
#
# 1. Builds the release matrix of .goreleaser.yaml with plain `go build`
#    (CGO off, -trimpath, the same -s -w and -X ldflags) and checks every
#    binary against SPEC §6's 32 MB budget.
# 2. Runs the host binary's `version --output json` and checks that the
#    injected version, commit and date come back.
# 3. Generates the man pages and completions the archives ship.
# 4. Runs `goreleaser check` when goreleaser is on PATH, or installs
#    v2.15.0 first when RELEASE_CHECK_INSTALL=1 (takes several minutes).
#
# Usage: scripts/release-check.sh            (from anywhere in the repo)
#        OUT=/tmp/rc scripts/release-check.sh
# Keep TARGETS, LDFLAGS and TAGS in step with .goreleaser.yaml; internal/release's
# test fails when they drift.
set -euo pipefail

cd "$(dirname "$0")/.."

TARGETS="linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64"
GORELEASER_VERSION=v2.15.0
MAX_BYTES=$((32 * 1024 * 1024))
OUT=${OUT:-dist/release-check}

version=$(git describe --tags --always --dirty 2>/dev/null || echo 0.0.0-check)
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
date=$(git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
pkg=github.com/fedctl/fedctl/cmd
LDFLAGS="-s -w -X $pkg.version=$version -X $pkg.commit=$commit -X $pkg.date=$date"
TAGS=grpcnotrace # see the comment on tags in .goreleaser.yaml

rm -rf "$OUT"
mkdir -p "$OUT"
fail=0

echo "== go build matrix (version $version)"
for target in $TARGETS; do
	goos=${target%/*}
	goarch=${target#*/}
	ext=""
	[ "$goos" = windows ] && ext=.exe
	bin="$OUT/fedctl_${goos}_${goarch}/fedctl$ext"
	CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch \
		go build -trimpath -tags "$TAGS" -ldflags "$LDFLAGS" -o "$bin" .
	size=$(wc -c <"$bin")
	verdict=ok
	if [ "$size" -gt "$MAX_BYTES" ]; then
		verdict="OVER the 32 MB budget"
		fail=1
	fi
	printf '  %-14s %6.2f MB  %s\n' "$target" "$(awk -v s="$size" 'BEGIN { print s / 1048576 }')" "$verdict"
done

echo "== version injection"
host_bin="$OUT/fedctl_$(go env GOOS)_$(go env GOARCH)/fedctl$(go env GOEXE)"
json=$("$host_bin" version --output json)
for want in "\"version\": \"$version\"" "\"commit\": \"$commit\"" "\"date\": \"$date\""; do
	# Compare without whitespace so the check does not depend on indentation.
	if [[ "${json//[[:space:]]/}" != *"${want//[[:space:]]/}"* ]]; then
		echo "  version --output json lacks $want:" >&2
		echo "$json" >&2
		fail=1
	fi
done
[ "$fail" = 0 ] && echo "  ok: $version $commit $date"

echo "== man pages and completions"
go run ./internal/docgen -out "$OUT/assets" -version "$version" -date "$date"
echo "  $(ls "$OUT/assets/manpages" | wc -l) man pages, completions: $(ls "$OUT/assets/completions" | tr '\n' ' ')"

echo "== goreleaser check"
if ! command -v goreleaser >/dev/null && [ "${RELEASE_CHECK_INSTALL:-0}" = 1 ]; then
	echo "  installing goreleaser $GORELEASER_VERSION"
	go install "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION"
	PATH="$(go env GOPATH)/bin:$PATH"
fi
if command -v goreleaser >/dev/null; then
	goreleaser check
else
	echo "  skipped: goreleaser not on PATH (RELEASE_CHECK_INSTALL=1 installs $GORELEASER_VERSION)"
fi

if [ "$fail" != 0 ]; then
	echo "release check FAILED" >&2
	exit 1
fi
echo "release check passed"
