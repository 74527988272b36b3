#!/usr/bin/env bash
# Proves that patches/werift+0.25.2+NNN+*.patch (the series) build exactly the werift tree that
# one patch built before it: both are applied by patch-package to a clean copy of werift 0.25.2
# and every file is hashed. patch-package's own state file (.patch-package.json, written for a
# series only) is left out of the comparison.
#
#   scripts/check-werift-patches.sh [REFERENCE_PATCH]
#
# REFERENCE_PATCH defaults to the single patch as commit 19813d8 left it (git show).
# Also compares the series' tree with node_modules/werift as `npm ci` installed it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ref=${1:-}
if [ -z "$ref" ]; then
  ref="$work/werift+0.25.2.patch"
  git -C "$root" show "${WERIFT_REFERENCE_COMMIT:-19813d8}:patches/werift+0.25.2.patch" > "$ref"
fi

source "$root/scripts/weriftTrees.sh"

tree single "$ref"
tree series "$root"/patches/werift+0.25.2+*.patch
hashes "$work/single/node_modules/werift" > "$work/single.sha"
hashes "$work/series/node_modules/werift" > "$work/series.sha"
hashes "$root/node_modules/werift" > "$work/installed.sha"
status=0
if diff -u "$work/single.sha" "$work/series.sha"; then
  echo "series == single patch: $(wc -l < "$work/series.sha") files identical"
else
  echo "series and single patch differ" >&2; status=1
fi
if diff -u "$work/series.sha" "$work/installed.sha"; then
  echo "node_modules/werift == series"
else
  echo "node_modules/werift differs from the series (run npm ci)" >&2; status=1
fi
exit $status
