/**
 * The job queue: pg-boss in the same database (schema `pgboss`), on PostgreSQL through its own pool and
 * on PGlite through its fromPglite adapter (one connection, shared with Prisma).
 *
 * Terminology:
 *   job      a pg-boss row in queue `rwa-train` whose data is { runId }; one run may see several jobs
 *            (re-queued after a lease ends or a shutdown).
 *   lease    a job is active while a worker trains its run; the worker heartbeats it every
 *            heartbeatSeconds / 2. A job silent for heartbeatSeconds (its worker died) is failed by
 *            pg-boss's supervisor and retried (the run resumes from its last checkpoint) up to
 *            runRetries times, then sent to `rwa-train-lost`, whose handler marks the run FAILED.
 */
import { PgBoss, fromPglite } from 'pg-boss';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';

export const TRAIN_QUEUE = 'rwa-train';
export const LOST_QUEUE = 'rwa-train-lost';

export interface TrainJob {
  runId: number;
}

/** pg-boss caps a job's active time at 24 h; a longer run renews its lease by re-queuing itself. */
export const LEASE_SECONDS = 23 * 3600;

export class RunQueue {
  private constructor(
    readonly boss: PgBoss,
    readonly config: Config,
  ) {}

  static async open(db: Database, config: Config): Promise<RunQueue> {
    // Silent jobs are expired by the supervisor's monitor pass, at most once per monitorIntervalSeconds per
    // queue, over the queues in its cache: all three run at a third of the heartbeat, so a dead worker's
    // run is back in the queue within about 1.3 heartbeats.
    const every = Math.max(1, Math.min(60, Math.floor(config.heartbeatSeconds / 3)));
    const common = {
      schema: 'pgboss',
      superviseIntervalSeconds: every,
      monitorIntervalSeconds: every,
      queueCacheIntervalSeconds: every,
    };
    let boss: PgBoss;
    if (db.kind === 'pglite') {
      if (!db.pglite) throw new Error('PGlite database without its instance');
      boss = new PgBoss({ ...common, db: fromPglite(db.pglite), backend: 'pglite' });
    } else {
      if (!db.url) throw new Error('PostgreSQL database without its URL');
      boss = new PgBoss({ ...common, connectionString: db.url, max: 4, application_name: 'rwa-lab queue' });
    }
    boss.on('error', (err: unknown) => {
      console.error(`rwa-lab queue: ${err instanceof Error ? err.message : String(err)}`);
    });
    await boss.start();
    const queue = new RunQueue(boss, config);
    await queue.ensureQueues();
    return queue;
  }

  private async ensureQueues(): Promise<void> {
    if (!(await this.boss.getQueue(LOST_QUEUE))) await this.boss.createQueue(LOST_QUEUE, { retryLimit: 5 });
    const options = {
      heartbeatSeconds: this.config.heartbeatSeconds,
      retryLimit: this.config.runRetries,
      retryDelay: 0,
      expireInSeconds: 24 * 3600,
      deadLetter: LOST_QUEUE,
    };
    if (!(await this.boss.getQueue(TRAIN_QUEUE))) await this.boss.createQueue(TRAIN_QUEUE, options);
    else await this.boss.updateQueue(TRAIN_QUEUE, options);
  }

  /** Queues a run for training; returns the job id. */
  async enqueue(runId: number): Promise<string> {
    const id = await this.boss.send(TRAIN_QUEUE, { runId } satisfies TrainJob);
    if (!id) throw new Error(`the queue refused a job for run ${runId}`);
    return id;
  }

  /** Removes a queued (not yet active) job; an active one is stopped by its worker. */
  async cancel(jobId: string): Promise<void> {
    await this.boss.cancel(TRAIN_QUEUE, jobId);
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: true, timeout: 5000 });
  }
}

/**
 * Queues created (QUEUED) runs in order and records each job id on its run; returns the runs as stored.
 * Shared by the API's startRun/startComparison and `rwa-lab reproduce`.
 */
export async function enqueueRuns(db: Database, queue: RunQueue, runIds: readonly number[]) {
  const runs = [];
  for (const id of runIds) {
    const jobId = await queue.enqueue(id);
    runs.push(
      await db.prisma.run.update({ where: { id }, data: { jobId } }).catch(async (err: unknown) => {
        // The worker may already have taken it (and written jobId itself).
        const run = await db.prisma.run.findUnique({ where: { id } });
        if (!run) throw err;
        return run;
      }),
    );
  }
  return runs;
}
