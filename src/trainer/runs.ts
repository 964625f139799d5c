/**
 * Runs in the database: create one from a validated config, and execute one in this process (the CLI; the
 * server's queue runs the same loop in a worker thread). Execution resumes from the run's latest
 * checkpoint when it has one, so a re-executed run continues with identical data order.
 */
import type { Database } from '../server/db/database.js';
import type { RunConfig } from './config.js';
import { taskLength } from './config.js';
import { selectEngine, type EngineOptions } from './engines/index.js';
import { DbRecorder, decodeOptimizerState, decodeParams } from './recorder.js';
import { train, type ResumePoint, type TrainProgress, type TrainResult } from './train.js';

export interface CreateRunOptions {
  /** Experiment name: found or created. */
  experiment?: string;
  description?: string;
}

export async function createRun(db: Database, config: RunConfig, options: CreateRunOptions = {}) {
  let experimentId: number | undefined;
  if (options.experiment) {
    const experiment = await db.prisma.experiment.upsert({
      where: { name: options.experiment },
      create: { name: options.experiment, description: options.description ?? '' },
      update: {},
    });
    experimentId = experiment.id;
  }
  return db.prisma.run.create({
    data: {
      ...(experimentId === undefined ? {} : { experimentId }),
      model: config.model,
      task: config.task,
      length: taskLength(config),
      units: config.units,
      layers: config.layers,
      config: config as unknown as object,
      seed: config.seed,
      totalSteps: config.steps,
      status: 'QUEUED',
    },
  });
}

/** The run's latest checkpoint as a resume point, or undefined. */
export async function latestCheckpoint(db: Database, runId: number): Promise<ResumePoint | undefined> {
  const c = await db.prisma.checkpoint.findFirst({ where: { runId }, orderBy: { step: 'desc' } });
  if (!c) return undefined;
  return { step: c.step, params: decodeParams(c.params), optimizer: decodeOptimizerState(c.optimizer) };
}

export interface ExecuteOptions extends EngineOptions {
  signal?: AbortSignal;
  onProgress?: (progress: TrainProgress) => void;
  /** Called once the engine is chosen (the CLI prints it). */
  onEngine?: (engine: { name: string; backend: string }) => void;
}

/** Trains run `runId` here, to completion, cancellation or divergence; the database records everything. */
export async function executeRun(db: Database, runId: number, options: ExecuteOptions = {}): Promise<TrainResult> {
  const run = await db.prisma.run.findUniqueOrThrow({ where: { id: runId } });
  const config = run.config as unknown as RunConfig;
  const recorder = new DbRecorder(db, runId);
  let engine;
  try {
    engine = await selectEngine(config.engine, options);
  } catch (err) {
    await recorder.finished({ status: 'FAILED', step: run.currentStep, error: (err as Error).message });
    throw err;
  }
  options.onEngine?.({ name: engine.name, backend: engine.backend });
  const resume = await latestCheckpoint(db, runId);
  try {
    return await train({
      config,
      engine,
      recorder,
      ...(resume ? { resume } : {}),
      ...(run.startedAt ? { startedAt: run.startedAt } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  } catch (err) {
    await recorder
      .finished({ status: 'FAILED', step: run.currentStep, error: (err as Error).stack ?? String(err) })
      .catch(() => {});
    throw err;
  }
}
