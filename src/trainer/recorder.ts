/**
 * The recorder: where everything a run produces goes, as it happens. The training loop (train.ts) talks
 * only to the Recorder interface; DbRecorder writes through Prisma to PostgreSQL or PGlite. Every record is
 * plain data (numbers, strings, typed arrays), so a loop running in a worker thread can post them to the
 * thread that owns the database.
 */
import os from 'node:os';
import type { OptimizerState } from './engines/engine.js';
import type { Database } from '../server/db/database.js';
import { appendPoints, seriesId, type MetricPointInput } from '../server/db/metrics.js';
import type { JsonValue } from './tasks/task.js';

export type SplitName = 'TRAIN' | 'TEST';
export type FinalStatus = 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'DIVERGED';

export interface MetricRecord {
  name: string;
  split: SplitName;
  /** Completed training steps when the value was measured. */
  step: number;
  value: number;
  /** Seconds since the run first started. */
  wallTime: number;
}

export interface SnapshotRecord {
  step: number;
  sample: number;
  layer: number;
  timeSteps: number;
  units: number;
  codec: string;
  codecParams: JsonValue;
  data: Uint8Array;
  events: JsonValue;
}

export interface CheckpointRecord {
  step: number;
  params: Float32Array;
  optimizer: OptimizerState;
}

export interface ProgressRecord {
  step: number;
  totalSteps: number;
  stepsPerSecond: number;
  etaSeconds: number;
  trainLoss: number;
  testLoss?: number;
  testAccuracy?: number;
}

export interface StartedRecord {
  engine: string;
  backend: string;
  workerHost: string;
  /** First step this execution trains (0, or the checkpoint's step when resuming). */
  startStep: number;
}

export interface FinishedRecord {
  status: FinalStatus;
  step: number;
  error?: string;
  divergedStep?: number;
}

export interface Recorder {
  started(info: StartedRecord): Promise<void>;
  metrics(points: MetricRecord[]): Promise<void>;
  snapshot(snapshot: SnapshotRecord): Promise<void>;
  checkpoint(checkpoint: CheckpointRecord): Promise<void>;
  progress(progress: ProgressRecord): Promise<void>;
  finished(result: FinishedRecord): Promise<void>;
}

/** Bytes of an optimiser state: 'ADAM', version 1, step (float64), length n, then m and v (float32 LE). */
export function encodeOptimizerState(state: OptimizerState): Uint8Array<ArrayBuffer> {
  const n = state.m.length;
  if (state.v.length !== n) throw new RangeError(`optimizer state: m has ${n} values but v has ${state.v.length}`);
  const out = Buffer.alloc(20 + 8 * n);
  out.write('ADAM', 0, 'ascii');
  out.writeUInt32LE(1, 4);
  out.writeDoubleLE(state.step, 8);
  out.writeUInt32LE(n, 16);
  Buffer.from(state.m.buffer, state.m.byteOffset, 4 * n).copy(out, 20);
  Buffer.from(state.v.buffer, state.v.byteOffset, 4 * n).copy(out, 20 + 4 * n);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength) as Uint8Array<ArrayBuffer>;
}

export function decodeOptimizerState(bytes: Uint8Array): OptimizerState {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 20 || buf.toString('ascii', 0, 4) !== 'ADAM' || buf.readUInt32LE(4) !== 1)
    throw new Error('checkpoint optimizer state is not an ADAM v1 record');
  const n = buf.readUInt32LE(16);
  if (buf.length !== 20 + 8 * n)
    throw new Error(`checkpoint optimizer state: expected ${20 + 8 * n} bytes, got ${buf.length}`);
  const floats = (offset: number) => {
    const a = new Float32Array(n);
    Buffer.from(a.buffer).set(buf.subarray(offset, offset + 4 * n));
    return a;
  };
  return { step: buf.readDoubleLE(8), m: floats(20), v: floats(20 + 4 * n) };
}

export function encodeParams(params: Float32Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(params.slice().buffer);
}

export function decodeParams(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0)
    throw new Error(`checkpoint params: ${bytes.byteLength} bytes is not a whole number of float32s`);
  const a = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(a.buffer).set(bytes);
  return a;
}

export interface DbRecorderOptions {
  /** Checkpoints kept per run (older ones are deleted). Default 2. */
  keepCheckpoints?: number;
  /** Flush buffered metric points at least this often. Default 2000 ms. */
  flushMs?: number;
}

/** Writes a run's records to the database; metric points are buffered and inserted in batches. */
export class DbRecorder implements Recorder {
  private buffer: MetricRecord[] = [];
  private lastFlush = Date.now();
  private lastProgressWrite = 0;
  private readonly series = new Map<string, number>();
  private readonly keep: number;
  private readonly flushMs: number;

  constructor(
    private readonly db: Database,
    readonly runId: number,
    options: DbRecorderOptions = {},
  ) {
    this.keep = options.keepCheckpoints ?? 2;
    this.flushMs = options.flushMs ?? 2000;
  }

  async started(info: StartedRecord): Promise<void> {
    const run = await this.db.prisma.run.findUniqueOrThrow({ where: { id: this.runId }, select: { startedAt: true } });
    await this.db.prisma.run.update({
      where: { id: this.runId },
      data: {
        status: 'RUNNING',
        startedAt: run.startedAt ?? new Date(),
        finishedAt: null,
        error: null,
        engine: info.engine,
        backend: info.backend,
        workerHost: info.workerHost,
        heartbeatAt: new Date(),
        currentStep: info.startStep,
      },
    });
  }

  async metrics(points: MetricRecord[]): Promise<void> {
    for (const p of points) this.buffer.push(p);
    if (this.buffer.length >= 5000 || Date.now() - this.lastFlush >= this.flushMs) await this.flush();
  }

  /** Writes buffered points now. */
  async flush(): Promise<void> {
    const pending = this.buffer;
    this.buffer = [];
    this.lastFlush = Date.now();
    const groups = new Map<string, MetricPointInput[]>();
    for (const p of pending) {
      const key = `${p.name}\u0000${p.split}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = []));
      group.push({ step: p.step, value: p.value, wallTime: p.wallTime });
    }
    for (const [key, points] of groups) {
      let id = this.series.get(key);
      if (id === undefined) {
        const [name, split] = key.split('\u0000') as [string, SplitName];
        id = await seriesId(this.db.prisma, this.runId, name, split);
        this.series.set(key, id);
      }
      await appendPoints(this.db.prisma, id, points);
    }
  }

  async snapshot(s: SnapshotRecord): Promise<void> {
    const data = {
      timeSteps: s.timeSteps,
      units: s.units,
      codec: s.codec,
      codecParams: s.codecParams as object,
      data: new Uint8Array(s.data),
      events: s.events as object,
    };
    await this.db.prisma.hiddenStateSnapshot.upsert({
      where: { runId_step_sample_layer: { runId: this.runId, step: s.step, sample: s.sample, layer: s.layer } },
      create: { runId: this.runId, step: s.step, sample: s.sample, layer: s.layer, ...data },
      update: data,
    });
  }

  async checkpoint(c: CheckpointRecord): Promise<void> {
    await this.flush();
    const data = { params: encodeParams(c.params), optimizer: encodeOptimizerState(c.optimizer) };
    await this.db.prisma.checkpoint.upsert({
      where: { runId_step: { runId: this.runId, step: c.step } },
      create: { runId: this.runId, step: c.step, ...data },
      update: data,
    });
    const old = await this.db.prisma.checkpoint.findMany({
      where: { runId: this.runId },
      orderBy: { step: 'desc' },
      skip: this.keep,
      select: { id: true },
    });
    if (old.length) await this.db.prisma.checkpoint.deleteMany({ where: { id: { in: old.map((o) => o.id) } } });
  }

  async progress(p: ProgressRecord): Promise<void> {
    // The row is a live status, not a log: at most one write a second (the final step always lands in finished).
    if (Date.now() - this.lastProgressWrite < 1000) return;
    this.lastProgressWrite = Date.now();
    await this.db.prisma.run.update({
      where: { id: this.runId },
      data: { currentStep: p.step, heartbeatAt: new Date() },
    });
  }

  async finished(r: FinishedRecord): Promise<void> {
    await this.flush();
    await this.db.prisma.run.update({
      where: { id: this.runId },
      data: {
        status: r.status,
        currentStep: r.step,
        finishedAt: new Date(),
        heartbeatAt: new Date(),
        error: r.error ?? null,
        divergedStep: r.divergedStep ?? null,
      },
    });
  }
}

export const hostName = (): string => os.hostname();
