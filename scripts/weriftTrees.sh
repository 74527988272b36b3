# Sourced by check-werift-patches.sh and check-werift-fix.sh (with `root` and `work` set): a clean
# werift 0.25.2 from npm's cache (the registry only if the cache lacks it) in $work/pristine,
# tree NAME PATCH_FILE... (a package dir with werift and these patches applied by patch-package)
# and hashes DIR (every file's hash; patch-package's state file, written for a series only, and
# werift's own node_modules left out).
(cd "$work" && npm pack werift@0.25.2 --prefer-offline --silent >/dev/null)
mkdir -p "$work/pristine" && tar xzf "$work/werift-0.25.2.tgz" -C "$work/pristine"

tree() {
  local dir="$work/$1"; shift
  mkdir -p "$dir/node_modules" "$dir/patches"
  echo '{"name":"check","version":"0.0.0","private":true}' > "$dir/package.json"
  cp -r "$work/pristine/package" "$dir/node_modules/werift"
  [ $# -eq 0 ] || cp "$@" "$dir/patches/"
  (cd "$dir" && node "$root/node_modules/patch-package/index.js" --error-on-fail >/dev/null)
}

hashes() { (cd "$1" && find . -path ./node_modules -prune -o -type f ! -name .patch-package.json -print0 | sort -z | xargs -0 sha256sum); }
