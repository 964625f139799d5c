/** Locations inside the installed package, the same whether running from src/ (tsx) or dist/ (tsc). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'rwa-lab') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the rwa-lab package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export const packageRoot = findRoot();
export const schemaPath = path.join(packageRoot, 'prisma', 'schema.prisma');
export const migrationsDir = path.join(packageRoot, 'prisma', 'migrations');
export const packageVersion: string = JSON.parse(
  fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8'),
).version;
