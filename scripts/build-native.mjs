#!/usr/bin/env node
/**
 * Builds the native engine's addon (binding.gyp -> build/Release/rwa_native.node) with node-gyp.
 * Run by `npm install` / `npm ci` (package.json "install") and by hand:
 *   node scripts/build-native.mjs
 * It never fails the install: without a compiler or on an unusual platform it prints one warning and
 * the trainer falls back to the tfjs engine. The full compiler output goes to build/native-build.log.
 *
 * node-gyp comes from, in order: npm's own (npm_config_node_gyp, set by npm for lifecycle scripts), the
 * project's devDependency, or the copy bundled with npm next to this Node, so `npm ci --omit=dev`
 * works too. The addon uses plain Node-API: no other package is needed to compile it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addonPath = join(root, 'build', 'Release', 'rwa_native.node');
const logPath = join(root, 'build', 'native-build.log');

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    candidates.push(createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a devDependency (npm ci --omit=dev)
  }
  if (process.env.npm_execpath) {
    candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const nodeDir = dirname(process.execPath);
  candidates.push(join(nodeDir, '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(nodeDir, 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')); // Windows
  return candidates.find((p) => existsSync(p));
}

function warn(reason) {
  console.warn(
    `rwa-lab: WARNING: the native engine was not built (${reason}); the trainer will fall back to the ` +
      `slower tfjs engine. Details: ${logPath}. Retry with: node scripts/build-native.mjs`,
  );
}

function main() {
  mkdirSync(join(root, 'build'), { recursive: true });
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) {
    writeFileSync(
      logPath,
      'node-gyp not found (neither npm_config_node_gyp, a devDependency nor npm’s bundled copy)\n',
    );
    warn('node-gyp not found');
    return;
  }
  const args = [nodeGyp, 'rebuild', '--jobs', 'max'];
  // Outside npm (no npm_config_nodedir), use the headers installed next to this Node if there are any,
  // instead of downloading them.
  const prefix = join(dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
    args.push(`--nodedir=${prefix}`);
  }
  const started = Date.now();
  const run = spawnSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    timeout: 10 * 60 * 1000,
    maxBuffer: 64 * 1024 * 1024,
  });
  mkdirSync(join(root, 'build'), { recursive: true }); // rebuild removes build/ first
  writeFileSync(logPath, `$ node ${args.join(' ')}\n${run.stdout ?? ''}${run.stderr ?? ''}\n`);
  if (run.error || run.status !== 0 || !existsSync(addonPath)) {
    const lines = `${run.stderr ?? ''}`
      .split('\n')
      .filter((l) => /error/i.test(l) && !/^gyp (info|ERR! (stack|cwd|node|System|command|not ok))/.test(l));
    warn(run.error ? run.error.message : (lines[0]?.trim() ?? `node-gyp exited with ${run.status}`));
    return;
  }
  try {
    const addon = createRequire(import.meta.url)(addonPath);
    const { isa } = addon.info();
    console.log(`rwa-lab: native engine built in ${((Date.now() - started) / 1000).toFixed(0)} s (${isa})`);
  } catch (err) {
    warn(`the built addon does not load: ${err.message}`);
  }
}

try {
  main();
} catch (err) {
  warn(err instanceof Error ? err.message : String(err));
}
process.exitCode = 0;
