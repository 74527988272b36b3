#!/usr/bin/env bash
# Installs what `npm test` needs beyond node_modules: the foreign WebRTC stacks the suite talks
# to. Debian's chromium (driven by playwright-core) and python3-aiortc (run with /usr/bin/python3).
# On Debian as root it installs what is missing with apt-get; elsewhere it names the packages
# and stops, so the suite never runs half-equipped. Run by `npm test` (pretest) and so by .ci/run.
set -uo pipefail

chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
aiortc_python="${AIORTC_PYTHON:-/usr/bin/python3}"
missing=()
find_missing() {
  missing=()
  [ -x "$chromium_path" ] || missing+=(chromium)
  "$aiortc_python" -c 'import aiortc' >/dev/null 2>&1 || missing+=(python3-aiortc)
}

find_missing
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then
  echo "test-deps: installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  find_missing
  [ ${#missing[@]} -eq 0 ] && exit 0
  echo "test-deps: still missing after apt-get: ${missing[*]}" >&2
fi

cat >&2 <<MESSAGE
test-deps: the test suite needs these Debian packages, which are missing: ${missing[*]}
Install them (as root: apt-get install -y ${missing[*]}), or point CHROMIUM_PATH at a Chromium
and AIORTC_PYTHON at a Python with aiortc 1.4, then run npm test again.
MESSAGE
exit 1
