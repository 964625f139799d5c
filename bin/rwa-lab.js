#!/usr/bin/env node
// rwa-lab command line: `rwa-lab train ...` (see `rwa-lab train --help`), `rwa-lab import paper-logs DIR`,
// `rwa-lab reproduce` (queues and trains the paper's grid; see `rwa-lab reproduce --help`),
// `rwa-lab worker` (trains queued runs; DATABASE_URL names the shared PostgreSQL), `rwa-lab serve`.
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist', 'src');
// Build first when the sources changed since the last build (a no-op taking ~0.1 s otherwise).
const built = spawnSync(process.execPath, [path.join(root, 'scripts', 'ensure-built.mjs')], {
  cwd: root,
  stdio: 'inherit',
});
if (built.status !== 0) process.exit(built.status ?? 1);

const [command, ...args] = process.argv.slice(2);
const commands = {
  train: async () => (await import(path.join(dist, 'trainer', 'cli', 'train.js'))).trainMain(args),
  import: async () => (await import(path.join(dist, 'trainer', 'cli', 'import.js'))).importMain(args),
  report: async () => (await import(path.join(dist, 'trainer', 'cli', 'report.js'))).reportMain(args),
  reproduce: async () => (await import(path.join(dist, 'reproduce', 'cli.js'))).reproduceMain(args),
  worker: async () => (await import(path.join(dist, 'server', 'worker-cli.js'))).workerMain(args),
  serve: async () => {
    await import(path.join(dist, 'server', 'main.js'));
    return undefined;
  },
};
if (!command || command === '--help' || command === '-h' || !(command in commands)) {
  const known = Object.keys(commands).join(', ');
  if (command && !(command in commands) && command !== '--help' && command !== '-h')
    console.error(`rwa-lab: unknown command ${JSON.stringify(command)}; known: ${known}`);
  console.error(`usage: rwa-lab <command> [flags]   commands: ${known}; rwa-lab <command> --help for its flags`);
  process.exit(command && command !== '--help' && command !== '-h' ? 2 : 0);
}
const code = await commands[command]();
if (typeof code === 'number') process.exit(code);
