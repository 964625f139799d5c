// Runs `npm run build` only when a source is newer than the last build, so `npm start` restarts in seconds.
//   node scripts/ensure-built.mjs
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'dist', '.build-stamp');
const inputs = ['src', 'scripts', 'test', 'prisma', 'package.json', 'package-lock.json', 'tsconfig.json'];

function newest(p) {
  let stat;
  try {
    stat = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = stat.mtimeMs;
  for (const entry of fs.readdirSync(p)) {
    if (entry === 'generated' || entry === 'node_modules') continue;
    max = Math.max(max, newest(path.join(p, entry)));
  }
  return max;
}

const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
const changed = Math.max(...inputs.map((i) => newest(path.join(root, i))));
if (built > changed && fs.existsSync(path.join(root, 'dist', 'dashboard', 'index.html'))) process.exit(0);
const started = Date.now();
const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
fs.writeFileSync(stamp, new Date(started).toISOString() + '\n');
// The stamp's time is the build's start: a file saved during the build triggers the next one.
fs.utimesSync(stamp, new Date(started), new Date(started));
