/**
 * `rwa-lab worker`: a training worker on this machine for a shared PostgreSQL (DATABASE_URL), beside the
 * server's own. It takes runs from the job queue, trains each in a worker thread, and heartbeats; on
 * SIGINT/SIGTERM it stops its runs after their current step and puts them back in the queue.
 *
 *   DATABASE_URL=postgres://user@dbhost:5432/rwa_lab npx rwa-lab worker [--concurrency N] [--threads N]
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { loadConfig } from './config.js';
import { openDatabase } from './db/database.js';
import { applyMigrations } from './db/migrate.js';
import { RwaLabError } from './errors.js';
import { RunQueue } from './queue/queue.js';
import { RunWorker } from './queue/worker.js';

const USAGE = `usage: rwa-lab worker [--concurrency N] [--threads N]
  --concurrency N   runs trained at once (default RWA_WORKERS, else 1)
  --threads N       native engine threads per run (default: all cores)
Environment: DATABASE_URL (a PostgreSQL shared with the server), RWA_HEARTBEAT_SECONDS, RWA_RUN_RETRIES; see README.`;

export async function workerMain(args: string[]): Promise<number | undefined> {
  let concurrency: number | undefined;
  let threads: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      return 0;
    }
    const value = Number(args[i + 1]);
    if ((flag === '--concurrency' || flag === '--threads') && Number.isInteger(value) && value >= 1 && value <= 64) {
      if (flag === '--concurrency') concurrency = value;
      else threads = value;
      i++;
      continue;
    }
    console.error(
      `rwa-lab worker: bad flag ${JSON.stringify(flag)} ${args[i + 1] ?? ''} (values are integers 1..64)\n${USAGE}`,
    );
    return 2;
  }
  const config = loadConfig();
  if (config.database.kind === 'pglite')
    console.warn(
      'rwa-lab worker: no DATABASE_URL, so this worker uses the embedded database, which only one process can open; ' +
        'to add workers to a server, point both at a shared PostgreSQL',
    );
  const db = await openDatabase(config.database);
  await applyMigrations(db);
  const queue = await RunQueue.open(db, config);
  const n = concurrency ?? Math.max(1, config.workers);
  const worker = await RunWorker.start(db, queue, config, {
    concurrency: n,
    ...(threads ? { engineThreads: threads } : {}),
  });
  console.log(`rwa-lab worker on ${os.hostname()} (pid ${process.pid}): ${n} at a time, queue on ${db.location}`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`${signal}: stopping after the current step; runs in progress go back in the queue`);
      resolve();
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  await worker.stop();
  await queue.stop();
  await db.close();
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  workerMain(process.argv.slice(2)).then(
    (code) => process.exit(code ?? 0),
    (err: unknown) => {
      console.error(err instanceof RwaLabError ? `rwa-lab worker: ${err.message}` : err);
      process.exit(1);
    },
  );
}
