#!/usr/bin/env node
/**
 * Builds the dashboard: type-checks src/dashboard (its own tsconfig: DOM, no Node) and bundles
 * src/dashboard/main.ts with esbuild into dist/dashboard/ (main.js, index.html, styles.css), which the
 * server serves at /.
 *   node scripts/build-dashboard.mjs            (part of `npm run build`)
 *   node scripts/build-dashboard.mjs --no-check bundle only (fast, while editing)
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src', 'dashboard');
const out = path.join(root, 'dist', 'dashboard');
const t0 = performance.now();

if (!process.argv.includes('--no-check')) {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(src, 'tsconfig.json')], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('build-dashboard: type errors in src/dashboard (above)');
    process.exit(r.status ?? 1);
  }
}

fs.rmSync(out, { recursive: true, force: true });
await esbuild.build({
  entryPoints: [path.join(src, 'main.ts')],
  bundle: true,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
  minify: true,
  sourcemap: true,
  outdir: out,
  logLevel: 'warning',
  legalComments: 'none',
});
for (const file of ['index.html', 'styles.css']) fs.copyFileSync(path.join(src, file), path.join(out, file));
const kb = (f) => (fs.statSync(path.join(out, f)).size / 1024).toFixed(0);
console.log(
  `dashboard: dist/dashboard/main.js ${kb('main.js')} KB, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
