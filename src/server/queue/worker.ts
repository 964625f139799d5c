/**
 * A worker: takes jobs from the `rwa-train` queue and trains each run in a worker thread, writing what the
 * thread's recorder posts through DbRecorder on this (the database-owning) thread. `npm start` runs one
 * in-process; `rwa-lab worker` runs one on another machine against a shared PostgreSQL.
 *
 * Cancellation: cancelRun sets Run.cancelRequestedAt; the worker reads it (and the run's jobId) at most
 * every CHECK_MS and aborts the thread, which stops after the current step and saves a checkpoint. A run
 * whose jobId changed (its lease expired and another worker took it) is abandoned without writing.
 * Shutdown and 23 h leases: the thread is stopped the same way, and the run is put back in the queue.
 */
import { Worker } from 'node:worker_threads';
import type { Job } from 'pg-boss';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { RunConfig } from '../../trainer/config.js';
import {
  DbRecorder,
  type CheckpointRecord,
  type FinishedRecord,
  type MetricRecord,
  type ProgressRecord,
  type SnapshotRecord,
  type StartedRecord,
} from '../../trainer/recorder.js';
import { latestCheckpoint } from '../../trainer/runs.js';
import { LEASE_SECONDS, LOST_QUEUE, TRAIN_QUEUE, type RunQueue, type TrainJob } from './queue.js';
import type { ThreadInput, ThreadMessage } from './train-thread.js';

const CHECK_MS = 1000;
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'DIVERGED']);

type StopReason = 'cancel' | 'shutdown' | 'lease' | 'superseded' | 'deleted';

interface Active {
  runId: number;
  jobId: string;
  thread: Worker;
  stop: StopReason | null;
  done: Promise<void>;
}

export interface WorkerOptions {
  /** Runs trained at once. */
  concurrency: number;
  /** Native engine threads per run (default: the engine's choice). */
  engineThreads?: number;
  /** Called with each progress record (live updates in this process). */
  onProgress?: (runId: number, progress: ProgressRecord) => void;
}

export class RunWorker {
  private readonly active = new Map<number, Active>();
  private stopping = false;

  private constructor(
    private readonly db: Database,
    private readonly queue: RunQueue,
    private readonly config: Config,
    private readonly options: WorkerOptions,
  ) {}

  static async start(db: Database, queue: RunQueue, config: Config, options: WorkerOptions): Promise<RunWorker> {
    const worker = new RunWorker(db, queue, config, options);
    await queue.boss.work<TrainJob>(
      TRAIN_QUEUE,
      { localConcurrency: options.concurrency, batchSize: 1, pollingIntervalSeconds: 1 },
      async (jobs: Job<TrainJob>[]) => {
        for (const job of jobs) await worker.handle(job);
      },
    );
    await queue.boss.work<TrainJob>(LOST_QUEUE, { pollingIntervalSeconds: 2 }, async (jobs: Job<TrainJob>[]) => {
      for (const job of jobs) await worker.markLost(job.data.runId);
    });
    return worker;
  }

  /** Runs being trained by this worker. */
  get runIds(): number[] {
    return [...this.active.keys()];
  }

  /** Stops a run trained here after its current step (cancelRun also works across machines through the database). */
  cancelLocal(runId: number): boolean {
    const a = this.active.get(runId);
    if (!a) return false;
    this.stopThread(a, 'cancel');
    return true;
  }

  /** Stops taking jobs; running threads stop after their current step and their runs go back in the queue. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const offWork = Promise.all([
      this.queue.boss.offWork(TRAIN_QUEUE, { wait: false }),
      this.queue.boss.offWork(LOST_QUEUE, { wait: false }),
    ]).catch(() => {});
    for (const a of this.active.values()) this.stopThread(a, 'shutdown');
    await Promise.all([...this.active.values()].map((a) => a.done));
    await offWork;
  }

  private stopThread(a: Active, reason: StopReason) {
    if (a.stop) return;
    a.stop = reason;
    a.thread.postMessage({ kind: 'abort' });
  }

  private async handle(job: Job<TrainJob>): Promise<void> {
    const runId = job.data?.runId;
    if (!Number.isInteger(runId)) return;
    const prisma = this.db.prisma;
    const run = await prisma.run.findUnique({ where: { id: runId } });
    if (!run || TERMINAL.has(run.status)) return;
    if (run.cancelRequestedAt) {
      await prisma.run.update({
        where: { id: runId },
        data: { status: 'CANCELLED', finishedAt: new Date(), error: 'cancelled before it started' },
      });
      return;
    }
    if (this.stopping) throw new Error('worker is stopping');
    await prisma.run.update({ where: { id: runId }, data: { jobId: job.id, heartbeatAt: new Date() } });
    const resume = await latestCheckpoint(this.db, runId);
    const input: ThreadInput = {
      config: run.config as unknown as RunConfig,
      ...(resume ? { resume } : {}),
      ...(run.startedAt ? { startedAt: run.startedAt.getTime() } : {}),
      ...(this.options.engineThreads ? { threads: this.options.engineThreads } : {}),
    };
    const reason = await this.train(runId, job.id, input);
    if (reason === 'shutdown' || reason === 'lease') {
      const jobId = await this.queue.enqueue(runId);
      await prisma.run.updateMany({ where: { id: runId, status: 'QUEUED' }, data: { jobId } });
    }
  }

  /** Trains in a thread until it ends; returns why it was stopped early, if it was. */
  private train(runId: number, jobId: string, input: ThreadInput): Promise<StopReason | null> {
    const prisma = this.db.prisma;
    const recorder = new DbRecorder(this.db, runId);
    const thread = new Worker(new URL('./train-thread.js', import.meta.url), { workerData: input });
    let finished = false;
    let resolveDone!: () => void;
    const active: Active = {
      runId,
      jobId,
      thread,
      stop: null,
      done: new Promise((r) => (resolveDone = r)),
    };
    this.active.set(runId, active);
    const leaseEnds = Date.now() + LEASE_SECONDS * 1000;
    let lastCheck = Date.now();
    let chain: Promise<void> = Promise.resolve();

    const check = async () => {
      if (Date.now() - lastCheck < CHECK_MS) return;
      lastCheck = Date.now();
      const row = await prisma.run.findUnique({
        where: { id: runId },
        select: { cancelRequestedAt: true, jobId: true },
      });
      if (!row) this.stopThread(active, 'deleted');
      else if (row.jobId !== jobId) this.stopThread(active, 'superseded');
      else if (row.cancelRequestedAt) this.stopThread(active, 'cancel');
      else if (Date.now() > leaseEnds) this.stopThread(active, 'lease');
    };

    const writes = (): boolean => active.stop !== 'superseded' && active.stop !== 'deleted';

    const apply = async (m: ThreadMessage): Promise<void> => {
      switch (m.kind) {
        case 'started':
          if (writes()) await recorder.started(m.payload as StartedRecord);
          return;
        case 'metrics':
          if (writes()) await recorder.metrics(m.payload as MetricRecord[]);
          return;
        case 'snapshot':
          if (writes()) await recorder.snapshot(m.payload as SnapshotRecord);
          return;
        case 'checkpoint':
          if (writes()) await recorder.checkpoint(m.payload as CheckpointRecord);
          return;
        case 'progress':
          if (!writes()) return;
          await recorder.progress(m.payload as ProgressRecord);
          this.options.onProgress?.(runId, m.payload as ProgressRecord);
          await check();
          return;
        case 'finished': {
          finished = true;
          if (!writes()) return;
          const r = m.payload as FinishedRecord;
          if (r.status === 'CANCELLED' && (active.stop === 'shutdown' || active.stop === 'lease')) {
            await recorder.flush();
            await prisma.run.update({
              where: { id: runId },
              data: { status: 'QUEUED', currentStep: r.step, heartbeatAt: new Date() },
            });
          } else {
            await recorder.finished(r);
          }
          return;
        }
        case 'error':
          if (!finished && writes()) {
            finished = true;
            await recorder.finished({ status: 'FAILED', step: await currentStep(), error: m.message }).catch(() => {});
          }
          await thread.terminate();
          return;
        case 'result':
          // The thread is done (its port and the engine's pool would keep it alive): end it.
          await thread.terminate();
          return;
      }
    };
    const currentStep = async () =>
      (await prisma.run.findUnique({ where: { id: runId }, select: { currentStep: true } }))?.currentStep ?? 0;

    return new Promise<StopReason | null>((resolve) => {
      const end = () => {
        chain = chain.then(async () => {
          if (!finished && writes()) {
            finished = true;
            await recorder
              .finished({ status: 'FAILED', step: await currentStep(), error: 'training thread exited unexpectedly' })
              .catch(() => {});
          }
          this.active.delete(runId);
          resolveDone();
          resolve(active.stop === 'cancel' ? null : active.stop);
        });
      };
      thread.on('message', (m: ThreadMessage) => {
        chain = chain.then(() =>
          apply(m).catch((err: unknown) => {
            // A write failed (the run was deleted, or the database went away): stop training it.
            this.stopThread(active, 'deleted');
            if (this.config.logLevel !== 'error')
              console.error(`rwa-lab worker: run ${runId}: ${err instanceof Error ? err.message : String(err)}`);
          }),
        );
      });
      thread.on('error', (err) => {
        chain = chain.then(() => apply({ kind: 'error', message: err.stack ?? err.message }));
      });
      thread.on('exit', end);
    });
  }

  private async markLost(runId: number): Promise<void> {
    await this.db.prisma.run.updateMany({
      where: { id: runId, status: { in: ['QUEUED', 'RUNNING'] } },
      data: {
        status: 'FAILED',
        finishedAt: new Date(),
        error: `lost its worker ${this.config.runRetries + 1} time(s) (no heartbeat for ${this.config.heartbeatSeconds} s; last worker: see workerHost); re-queued ${this.config.runRetries} time(s) from its last checkpoint, then given up (RWA_RUN_RETRIES)`,
      },
    });
  }
}
