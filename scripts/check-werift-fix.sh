#!/usr/bin/env bash
# Shows that scripts/werift-fix.js writes each fix of scripts/werift-fixes/ as its patch does:
# werift with the patches before NNN+NAME, plus scripts/werift-fixes/NAME.js applied by the script,
# must hold byte for byte the compiled files (.js, .mjs) that the series through NNN+NAME builds.
# The edit is limited to the compiled files the patch changes (patch 014 leaves werift's polyfill
# bundles as they were); a dry run first lists every copy that holds the code. Type declarations
# (.d.ts) are edited by hand and left out.
#
#   scripts/check-werift-fix.sh [NAME...]
# (default: every scripts/werift-fixes/*.js that says it is "The source edit of" its whole patch;
# nack-sequence-jumps.js is one part of patch 012, an example of @{name})
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$root/scripts/weriftTrees.sh"
if [ $# -eq 0 ]; then
  set -- $(cd "$root/scripts/werift-fixes" && grep -l '^// The source edit of patches/' *.js | sed 's/\.js$//')
fi
compiled() { hashes "$1" | grep -E '\.m?js$' || true; }
status=0
for name in "$@"; do
  patch=$(ls "$root"/patches/werift+0.25.2+*+"$name".patch)
  number=${patch##*/werift+0.25.2+}; number=${number%%+*}
  before=(); through=()
  for p in "$root"/patches/werift+0.25.2+*.patch; do
    n=${p##*/werift+0.25.2+}; n=${n%%+*}
    if [ "$((10#$n))" -lt "$((10#$number))" ]; then before+=("$p"); fi
    if [ "$((10#$n))" -le "$((10#$number))" ]; then through+=("$p"); fi
  done
  # The compiled files the patch changes, as a --only regex: ^(lib/index\.mjs|lib/...)$
  only="^($(grep '^diff --git' "$patch" | sed -E 's#.* b/node_modules/werift/##' | grep -E '\.m?js$' | sed 's/\./\\./g' | paste -sd '|'))$"
  rm -rf "$work/series" "$work/byscript"
  tree series "${through[@]}"
  if [ ${#before[@]} -gt 0 ]; then tree byscript "${before[@]}"; else tree byscript; fi
  fix=("$root/scripts/werift-fix.js" "$root/scripts/werift-fixes/$name.js" --root "$work/byscript/node_modules/werift")
  echo "== $name ($number): every copy holding the code:"; node "${fix[@]}" --dry-run
  echo "applied:"; node "${fix[@]}" --only "$only"
  if diff <(compiled "$work/series/node_modules/werift") <(compiled "$work/byscript/node_modules/werift"); then
    echo "werift-fix.js $name + patches before $number == the series through $number"
  else
    echo "werift-fix.js $name differs from patch $number" >&2; status=1
  fi
done
exit $status
