// Runs `npm run build` only when a source is newer than what the last build wrote, so `npm start` and
// `rwa-lab` restart in well under a second when nothing changed.
//   node scripts/ensure-built.mjs
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = (...p) => path.join(root, ...p);

/** Newest modification time below p (0 if absent). */
function newest(p, skip = () => false) {
  let stat;
  try {
    stat = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = 0;
  for (const entry of fs.readdirSync(p)) {
    const child = path.join(p, entry);
    if (entry === 'generated' || skip(child)) continue;
    max = Math.max(max, newest(child, skip));
  }
  return max;
}

const mtime = (p) => (fs.existsSync(p) ? fs.statSync(p).mtimeMs : -1);
const dashboard = at('src', 'dashboard');
// tsc's incremental state file is rewritten whenever it compiles; the bundle whenever the dashboard builds.
const tsStale =
  Math.max(
    newest(at('src'), (p) => p === dashboard),
    newest(at('test')),
    newest(at('scripts'), (p) => !p.endsWith('.ts')),
    newest(at('prisma', 'schema.prisma')),
    newest(at('tsconfig.json')),
  ) > mtime(at('dist', '.tsbuildinfo'));
const dashboardStale = newest(dashboard) > mtime(at('dist', 'dashboard', 'main.js'));
if (!tsStale && !dashboardStale) process.exit(0);
const started = new Date();
const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
// tsc leaves its state file alone when no output changed (a touched, unedited source): mark the build's start.
if (fs.existsSync(at('dist', '.tsbuildinfo'))) fs.utimesSync(at('dist', '.tsbuildinfo'), started, started);
