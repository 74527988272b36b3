#!/usr/bin/env bash
# Proves that patches/werift+0.25.2+NNN+*.patch (the series) build exactly the werift tree that
# one patch built before it: both are applied by patch-package to a clean copy of werift 0.25.2
# and every file is hashed. patch-package's own state file (.patch-package.json, written for a
# series only) is left out of the comparison.
#
#   scripts/check-werift-patches.sh [REFERENCE_PATCH]
#
# REFERENCE_PATCH defaults to the single patch as commit 19813d8 left it (git show); it is compared
# with the patches it was split into, 001 to WERIFT_REFERENCE_LAST (default 014: the fixes after it
# were written as patches of their own). Also compares the whole series' tree with
# node_modules/werift as `npm ci` installed it.
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

last=${WERIFT_REFERENCE_LAST:-014}
split=()
for patch in "$root"/patches/werift+0.25.2+*.patch; do
  number=${patch##*/werift+0.25.2+}; number=${number%%+*}
  if [ "$((10#$number))" -le "$((10#$last))" ]; then split+=("$patch"); fi
done
tree single "$ref"
tree split "${split[@]}"
tree series "$root"/patches/werift+0.25.2+*.patch
hashes "$work/single/node_modules/werift" > "$work/single.sha"
hashes "$work/split/node_modules/werift" > "$work/split.sha"
hashes "$work/series/node_modules/werift" > "$work/series.sha"
hashes "$root/node_modules/werift" > "$work/installed.sha"
status=0
if diff -u "$work/single.sha" "$work/split.sha"; then
  echo "series 001-$last == single patch: $(wc -l < "$work/split.sha") files identical"
else
  echo "series 001-$last and single patch differ" >&2; status=1
fi
if diff -u "$work/series.sha" "$work/installed.sha"; then
  echo "node_modules/werift == series"
else
  echo "node_modules/werift differs from the series (run npm ci)" >&2; status=1
fi
exit $status
