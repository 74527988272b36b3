#!/usr/bin/env node
/**
 * Builds the native decoder addon (build/native_decoders.node) with the system's C++ compiler,
 * against Debian's libvpx, libdav1d, libopenh264 and libopus and the Node-API headers from npm
 * (node-api-headers, node-addon-api). No node-gyp: it would want Node's full headers, which it
 * downloads from the internet when the system has none. Node-API only, version 8, so one build
 * loads on Node 20, 22 and 24.
 *
 *   node native/decoders/build.js               build, or fail with the reason (npm run build:native)
 *   node native/decoders/build.js --if-possible  build, or say why not and leave the server on its
 *                                                WebAssembly decoders (npm install runs this)
 *   node native/decoders/build.js --force        build even when the addon is up to date
 */
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, statSync } = require('node:fs');
const path = require('node:path');

const here = __dirname;
const source = path.join(here, 'src', 'decoder.cc');
const output = path.join(here, 'build', 'native_decoders.node');
const ifPossible = process.argv.includes('--if-possible');
const force = process.argv.includes('--force');
const DEBIAN_PACKAGES = 'build-essential libvpx-dev libdav1d-dev libopenh264-dev libopus-dev';

function upToDate() {
  if (!existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return [source, __filename].every((input) => statSync(input).mtimeMs <= built);
}

function compile() {
  const compiler = process.env.CXX || 'c++';
  mkdirSync(path.dirname(output), { recursive: true });
  const args = [
    '-O2', '-std=c++17', '-shared', '-fPIC', '-fvisibility=hidden',
    '-DNAPI_VERSION=8', '-DNAPI_DISABLE_CPP_EXCEPTIONS', '-DNODE_ADDON_API_DISABLE_DEPRECATED',
    // A worker terminated mid-decode (the pool replacing a hung one, or closing) makes Node-API
    // calls fail; node-addon-api then aborts the whole process on the error it cannot throw,
    // unless told to drop it (the worker is going away anyway).
    '-DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS',
    '-I', require('node-api-headers').include_dir,
    // node-addon-api's include_dir is relative to the working directory; its folder is not.
    '-I', path.dirname(require.resolve('node-addon-api/package.json')),
    source, '-o', output,
    '-lvpx', '-ldav1d', '-lopenh264', '-lopus',
  ];
  execFileSync(compiler, args, { stdio: ['ignore', 'inherit', 'pipe'] });
}

/** Loads the new build in this process: a library missing at run time shows here, not in the server. */
function check() {
  const addon = require(output);
  for (const codec of addon.codecs) new addon.Decoder(codec).close();
  new addon.OpusLevelMeter().close();
  return [...addon.codecs, 'opus levels'];
}

try {
  if (!force && upToDate()) {
    console.log(`native decoders: up to date (${path.relative(process.cwd(), output)})`);
  } else {
    compile();
    console.log(`native decoders: built ${path.relative(process.cwd(), output)} (${check().join(', ')})`);
  }
} catch (error) {
  const stderr = String(error.stderr ?? '').trim();
  const detail = (stderr || String(error.message ?? error)).trim().split('\n').slice(0, 6).join('\n');
  console.warn(`native decoders: not built: ${detail}`);
  console.warn(`  Needs a C++ compiler and the libraries' headers (Debian: apt-get install -y ${DEBIAN_PACKAGES}),`);
  console.warn('  then: npm run build:native');
  if (!ifPossible) process.exit(1);
  console.warn('  Until then the server decodes with its WebAssembly decoders (DECODER=wasm).');
}
