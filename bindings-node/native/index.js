// Loads grantline's native addon for this platform. Written by hand (napi builds run with
// `--no-js`): napi's generated loader ends, when nothing fits, in a generic "Cannot find native
// binding" that names neither the platform nor the package; this one says what it looked for.
//
// Where the addon comes from, in order:
// 1. `GRANTLINE_NATIVE_LIBRARY_PATH`, a path to a `.node` file (a custom build);
// 2. `grantline.<platform>.node` next to this file (what `npm run build` writes in a checkout);
// 3. the platform package `@grantline/<platform>` that npm installed from the main package's
//    `optionalDependencies` (each declares `os`, `cpu` and, on Linux, `libc`, so npm installs
//    only the one that fits). `make dist` builds them; its version must equal this package's.
//
// The platforms shipped are package.json's `napi.targets` (Rust target triples), one list.
'use strict';

const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');

const pkg = require('../package.json');

/** `gnu` or `musl` on Linux (how Node itself was linked), `null` elsewhere. */
function linuxLibc() {
  if (process.platform !== 'linux') return null;
  const report = typeof process.report?.getReport === 'function' ? reportHeader() : null;
  if (report) return report.glibcVersionRuntime ? 'gnu' : 'musl';
  try {
    return readFileSync('/usr/bin/ldd', 'utf8').includes('musl') ? 'musl' : 'gnu';
  } catch {
    return 'gnu';
  }
}

function reportHeader() {
  try {
    process.report.excludeNetwork = true;
    return process.report.getReport().header;
  } catch {
    return null;
  }
}

/** The platform's name as npm packages and `.node` files spell it: `linux-x64-gnu`, `darwin-arm64`. */
function platformKey(platform, arch, libc) {
  return [platform, arch, libc].filter(Boolean).join('-');
}

/** `x86_64-unknown-linux-musl` → `linux-x64-musl`: napi's names for Rust target triples. */
function keyOfTriple(triple) {
  const [cpu, , sys, abi] = triple.split('-');
  const arch = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm' }[cpu] ?? cpu;
  const platform = { linux: 'linux', darwin: 'darwin', windows: 'win32' }[sys] ?? sys;
  const libc = platform === 'linux' ? (abi?.startsWith('musl') ? 'musl' : 'gnu') : platform === 'win32' ? abi : null;
  return platformKey(platform, arch, libc);
}

function load() {
  const key = platformKey(process.platform, process.arch, linuxLibc());
  const expected = `@grantline/${key}`;
  const tried = [];

  const override = process.env.GRANTLINE_NATIVE_LIBRARY_PATH;
  if (override) return require(path.resolve(override));

  const local = path.join(__dirname, `grantline.${key}.node`);
  if (existsSync(local)) return require(local);
  tried.push(local);

  let manifest = null;
  try {
    manifest = require(`${expected}/package.json`);
  } catch (err) {
    if (err.code !== 'MODULE_NOT_FOUND') throw err;
  }
  if (manifest) {
    if (manifest.version !== pkg.version) {
      throw new Error(
        `grantline ${pkg.version} found ${expected} ${manifest.version}; the two must be the same ` +
          `version. Reinstall so they match: npm install grantline@${pkg.version} ${expected}@${pkg.version}`,
      );
    }
    return require(expected);
  }
  tried.push(expected);

  const shipped = (pkg.napi?.targets ?? []).map(keyOfTriple);
  const detected =
    `${key} (process.platform ${process.platform}, process.arch ${process.arch}` +
    `${process.platform === 'linux' ? `, libc ${linuxLibc()}` : ''}, Node ${process.version})`;
  let fix;
  if (shipped.includes(key)) {
    fix =
      `${expected} is an optional dependency of grantline that npm installs only on a matching ` +
      `system, and it is not installed here. Install again on this machine without ` +
      `--omit=optional/--no-optional (node_modules copied from another OS, CPU or libc, e.g. ` +
      `into a container, lacks it), or add it explicitly: npm install ${expected}@${pkg.version}`;
  } else {
    fix =
      `grantline ${pkg.version} ships native binaries for ${shipped.join(', ') || 'no platform'}; ` +
      `none for ${key}. Build the addon from a source checkout (Rust toolchain; see the ` +
      `repository's README) and point GRANTLINE_NATIVE_LIBRARY_PATH at the .node file.`;
  }
  const error = new Error(
    `grantline: no native addon for this platform. Detected ${detected}; expected the package ` +
      `${expected}. ${fix}. Looked in: ${tried.join(', ')}.`,
  );
  error.code = 'GRANTLINE_NATIVE_NOT_FOUND';
  throw error;
}

module.exports = load();
