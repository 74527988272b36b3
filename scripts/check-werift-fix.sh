#!/usr/bin/env bash
# Shows scripts/werift-fix.js on an existing fix: werift with patches 001-013 of the series, plus
# scripts/werift-fixes/ice-restart-checks.js applied by the script, must be byte for byte the tree
# that the whole series (001-014) builds. The edit is limited to the two copies patch 014 changes
# (the CommonJS module and lib/index.mjs); a dry run first lists every copy that holds the code.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$root/scripts/weriftTrees.sh"
all=("$root"/patches/werift+0.25.2+*.patch)
last=${all[-1]}
case "$last" in *ice-restart-checks.patch) ;; *) echo "the demo expects ice-restart-checks last" >&2; exit 1;; esac
tree series "${all[@]}"
tree byscript "${all[@]:0:${#all[@]}-1}"
fix=("$root/scripts/werift-fix.js" "$root/scripts/werift-fixes/ice-restart-checks.js" --root "$work/byscript/node_modules/werift")
echo "every copy holding the code:"; node "${fix[@]}" --dry-run
echo "applied:"; node "${fix[@]}" --only '^lib/(index\.mjs|webrtc/)'
if diff <(hashes "$work/series/node_modules/werift") <(hashes "$work/byscript/node_modules/werift"); then
  echo "werift-fix.js + patches 001-013 == the whole series"
else
  exit 1
fi
