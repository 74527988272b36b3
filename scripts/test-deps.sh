#!/usr/bin/env bash
# Installs what `npm test` needs beyond node_modules: the foreign WebRTC stacks the suite talks
# to, Debian's chromium (driven by playwright-core) and python3-aiortc (run with /usr/bin/python3),
# ffmpeg (libvpx, libopus), which makes the clip of the aiortc load generator (bench/aiortc/),
# redis-server (the tests of several instances start their own on loopback), GStreamer's WHIP
# client simple-whip-client (run in a network namespace made with iproute2's ip, beside a no-op
# library gcc builds at test time: test/foreign/gstreamerWhip.test.ts), and the native
# decoder addon (native/decoders), built against Debian's libvpx, libdav1d and
# libopenh264. On Debian as root it installs what is missing with apt-get and builds the addon;
# elsewhere it names the packages and stops, so the suite never runs half-equipped. Run by
# `npm test` (pretest) and so by .ci/run.
set -uo pipefail

chromium_path="${CHROMIUM_PATH:-/usr/bin/chromium}"
aiortc_python="${AIORTC_PYTHON:-/usr/bin/python3}"
native_packages=(build-essential libvpx-dev libdav1d-dev libopenh264-dev libopus-dev)
missing=()
native_failed=0
find_missing() {
  missing=()
  native_failed=0
  [ -x "$chromium_path" ] || missing+=(chromium)
  "$aiortc_python" -c 'import aiortc' >/dev/null 2>&1 || missing+=(python3-aiortc)
  # The native decoders: built, or rebuilt when older than their source. When that fails, the
  # packages the build needs that are not installed are missing too.
  if ! node native/decoders/build.js >/dev/null 2>&1; then
    native_failed=1
    for package in "${native_packages[@]}"; do
      dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
  fi
  command -v ffmpeg >/dev/null || missing+=(ffmpeg)
  # Redis for the tests of several instances (REDIS_URL): started by the tests on loopback.
  command -v redis-server >/dev/null || missing+=(redis-server)
  # GStreamer's WHIP client, in a network namespace (ip), with a stand-in library built by gcc.
  command -v whip-client >/dev/null || missing+=(simple-whip-client)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v gcc >/dev/null || missing+=(gcc)
}

find_missing
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" -eq 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then
  echo "test-deps: installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  find_missing
  [ ${#missing[@]} -eq 0 ] || echo "test-deps: still missing after apt-get: ${missing[*]}" >&2
fi

if [ ${#missing[@]} -gt 0 ]; then
  cat >&2 <<MESSAGE
test-deps: the test suite needs these Debian packages, which are missing: ${missing[*]}
Install them (as root: apt-get install -y ${missing[*]}), or point CHROMIUM_PATH at a Chromium
and AIORTC_PYTHON at a Python with aiortc 1.4, then run npm test again.
MESSAGE
  exit 1
fi
if [ "$native_failed" -eq 1 ]; then
  node native/decoders/build.js  # says why the build fails
  exit 1
fi
exit 0
