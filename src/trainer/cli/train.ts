/**
 * `rwa-lab train`: train one model, or several on the same data (--compare), recording everything.
 *
 *   npx rwa-lab train --task adding --length 100 --model rwa --steps 2000 --seed 1 --experiment "adding T=100"
 *   npx rwa-lab train --task adding --length 1000 --compare rwa,lstm
 *   npx rwa-lab train --resume 12
 *
 * Without DATABASE_URL it records into the embedded database in ./data (the server must not be running on
 * the same folder: PGlite is single-process). Ctrl-C cancels after the current step (a second Ctrl-C exits).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../server/config.js';
import { openDatabase, type Database } from '../../server/db/database.js';
import { applyMigrations } from '../../server/db/migrate.js';
import { RwaLabError } from '../../server/errors.js';
import { ENGINE_CHOICES, resolveRunConfig, RunConfigError, type RunConfig, type RunConfigInput } from '../config.js';
import { MODEL_KINDS } from '../engines/engine.js';
import { TFJS_BACKENDS, type TfjsBackend } from '../engines/tfjs/index.js';
import { createRun, executeRun } from '../runs.js';
import { TASK_NAMES } from '../tasks/index.js';
import type { TrainProgress, TrainResult } from '../train.js';

const FLAGS = {
  task: { type: 'string', doc: `task: ${TASK_NAMES.join(', ')}` },
  length: { type: 'string', doc: 'sequence length T of the task (adding, copy, length)' },
  option: { type: 'string', multiple: true, doc: 'other task option as key=value (e.g. variant=article); repeatable' },
  model: { type: 'string', doc: `model: ${MODEL_KINDS.join(', ')} (default rwa)` },
  compare: { type: 'string', doc: 'comma-separated models trained on the same data and seed, in one experiment' },
  layers: { type: 'string', doc: 'stacked layers (default 1)' },
  units: { type: 'string', doc: 'units per layer (default 250)' },
  steps: { type: 'string', doc: "training steps (default: the paper's for the task)" },
  'batch-size': { type: 'string', doc: 'sequences per step (default 100)' },
  lr: { type: 'string', doc: 'Adam learning rate (default 0.001)' },
  'clip-norm': { type: 'string', doc: 'clip the global gradient norm to this (default: no clipping)' },
  'eval-every': { type: 'string', doc: 'evaluate the test set every N steps (default 100)' },
  'test-size': { type: 'string', doc: 'fixed test set size (default 100)' },
  'snapshot-samples': { type: 'string', doc: 'test samples whose hidden states are captured (default 4)' },
  'snapshot-every': { type: 'string', doc: 'capture hidden states every N steps (default 5 x eval-every)' },
  'checkpoint-every': { type: 'string', doc: 'checkpoint every N steps (default 1000)' },
  seed: { type: 'string', doc: 'seed of weights, data and test set (default 1)' },
  engine: { type: 'string', doc: `engine: ${ENGINE_CHOICES.join(', ')} (default auto: native, else tfjs)` },
  threads: { type: 'string', doc: 'native engine threads (default: all cores)' },
  'tfjs-backend': { type: 'string', doc: `force a tfjs back end: ${TFJS_BACKENDS.join(', ')}` },
  experiment: { type: 'string', doc: 'experiment name (found or created)' },
  resume: { type: 'string', doc: 'continue run RUN_ID from its last checkpoint' },
  json: { type: 'boolean', doc: 'machine-readable output: one JSON object per line' },
  help: { type: 'boolean', short: 'h', doc: 'this help' },
} as const;

export class CliError extends Error {}

export function usage(): string {
  const lines = Object.entries(FLAGS).map(([name, f]) => `  --${name.padEnd(18)} ${f.doc}`);
  return `usage: rwa-lab train [flags]\n\n${lines.join('\n')}\n\nexample: rwa-lab train --task adding --length 100 --compare rwa,lstm --steps 2000`;
}

export interface ParsedTrain {
  configs: RunConfig[];
  experiment?: string;
  resume?: number;
  json: boolean;
  threads?: number;
  tfjsBackend?: TfjsBackend;
}

/** Parses and validates the flags; throws CliError naming the bad flag, its value and what is allowed. */
export function parseTrainArgs(argv: string[]): ParsedTrain | 'help' {
  const options = Object.fromEntries(
    Object.entries(FLAGS).map(([k, f]) => [
      k,
      { type: f.type, ...('multiple' in f ? { multiple: true } : {}), ...('short' in f ? { short: f.short } : {}) },
    ]),
  );
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: options as never, strict: true, allowPositionals: false }) as {
      values: typeof values;
    });
  } catch (err) {
    throw new CliError(`${(err as Error).message.replace(/\. To specify.*$/s, '')}\n\n${usage()}`);
  }
  if (values.help) return 'help';
  const str = (k: string) => values[k] as string | undefined;
  const json = Boolean(values.json);
  const threads = str('threads') === undefined ? undefined : intFlag('threads', str('threads')!, 1, 256);
  const tfjsBackend = str('tfjs-backend');
  if (tfjsBackend !== undefined && !TFJS_BACKENDS.includes(tfjsBackend as TfjsBackend)) {
    throw new CliError(`--tfjs-backend ${tfjsBackend} is not a back end; use one of ${TFJS_BACKENDS.join(', ')}`);
  }
  const common = {
    json,
    ...(threads ? { threads } : {}),
    ...(tfjsBackend ? { tfjsBackend: tfjsBackend as TfjsBackend } : {}),
  };
  if (str('resume') !== undefined) {
    const others = Object.keys(values).filter((k) => !['resume', 'json', 'threads', 'tfjs-backend'].includes(k));
    if (others.length)
      throw new CliError(
        `--resume continues a run with its stored config; drop ${others.map((k) => `--${k}`).join(', ')}`,
      );
    return { configs: [], resume: intFlag('resume', str('resume')!, 1, 2 ** 31 - 1), ...common };
  }
  if (str('compare') !== undefined && str('model') !== undefined)
    throw new CliError('give either --model or --compare, not both');
  const models =
    str('compare') !== undefined
      ? str('compare')!
          .split(',')
          .map((m) => m.trim())
      : [str('model') ?? 'rwa'];
  if (new Set(models).size !== models.length || models.some((m) => m === ''))
    throw new CliError(`--compare ${str('compare')}: list each model once, e.g. --compare rwa,lstm`);
  const taskOptions: Record<string, unknown> = {};
  if (str('length') !== undefined) taskOptions.length = str('length');
  for (const kv of (values.option as string[] | undefined) ?? []) {
    const m = /^([A-Za-z][\w]*)=(.*)$/.exec(kv);
    if (!m) throw new CliError(`--option ${kv}: expected key=value, e.g. --option variant=article`);
    taskOptions[m[1]!] = m[2];
  }
  const base: RunConfigInput = {
    task: str('task'),
    taskOptions,
    layers: str('layers'),
    units: str('units'),
    steps: str('steps'),
    batchSize: str('batch-size'),
    learningRate: str('lr'),
    clipNorm: str('clip-norm'),
    evalEvery: str('eval-every'),
    testSize: str('test-size'),
    snapshotSamples: str('snapshot-samples'),
    snapshotEvery: str('snapshot-every'),
    checkpointEvery: str('checkpoint-every'),
    seed: str('seed'),
    engine: str('engine'),
  };
  const configs = models.map((model) => {
    try {
      return resolveRunConfig({ ...base, model });
    } catch (err) {
      if (err instanceof RunConfigError) throw new CliError(`${flagFor(err.field)}: ${err.message}`);
      throw err;
    }
  });
  const experiment = str('experiment') ?? (models.length > 1 ? defaultExperimentName(configs[0]!, models) : undefined);
  return { configs, ...(experiment ? { experiment } : {}), ...common };
}

function flagFor(field: string): string {
  const map: Record<string, string> = {
    task: '--task',
    'taskOptions.length': '--length',
    model: '--model',
    batchSize: '--batch-size',
    learningRate: '--lr',
    clipNorm: '--clip-norm',
    evalEvery: '--eval-every',
    testSize: '--test-size',
    snapshotSamples: '--snapshot-samples',
    snapshotEvery: '--snapshot-every',
    checkpointEvery: '--checkpoint-every',
  };
  if (map[field]) return map[field];
  if (field.startsWith('taskOptions.')) return `--option ${field.slice('taskOptions.'.length)}`;
  return `--${field}`;
}

function intFlag(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max)
    throw new CliError(`--${name} ${raw}: expected an integer in ${min}..${max}`);
  return n;
}

export function defaultExperimentName(config: RunConfig, models: string[]): string {
  const length = config.taskOptions.length;
  return `${config.task}${length === undefined ? '' : ` T=${length}`}: ${models.join(' vs ')}`;
}

// ---- running ----

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
}

function progressLine(runId: number, p: TrainProgress, width: number): string {
  const frac = p.step / p.totalSteps;
  const barWidth = Math.max(10, Math.min(30, width - 90));
  const filled = Math.round(frac * barWidth);
  const test =
    p.testLoss === undefined
      ? ''
      : `  test ${p.testLoss.toPrecision(4)}${p.testAccuracy === undefined ? '' : ` (${(100 * p.testAccuracy).toFixed(1)}%)`}`;
  return `run ${runId} [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${p.step}/${p.totalSteps}  loss ${p.trainLoss.toPrecision(4)}${test}  ${p.stepsPerSecond.toFixed(2)} steps/s  ETA ${formatDuration(p.etaSeconds)}`;
}

async function runOne(db: Database, runId: number, parsed: ParsedTrain, signal: AbortSignal): Promise<TrainResult> {
  const out = process.stdout;
  const tty = out.isTTY && !parsed.json;
  let lastEval = -1;
  const result = await executeRun(db, runId, {
    signal,
    ...(parsed.threads ? { threads: parsed.threads } : {}),
    ...(parsed.tfjsBackend ? { tfjsBackend: parsed.tfjsBackend } : {}),
    onEngine: (e) => {
      if (parsed.json)
        out.write(JSON.stringify({ event: 'started', runId, engine: e.name, backend: e.backend }) + '\n');
      else out.write(`run ${runId}: training on ${e.backend}\n`);
    },
    onProgress: (p) => {
      if (tty) out.write(`\r${progressLine(runId, p, out.columns ?? 120)}\x1b[K`);
      const evalStep = p.testLoss !== undefined && p.step % Math.max(1, Math.round(p.totalSteps / 20)) === 0;
      if (!tty && evalStep && p.step !== lastEval) {
        lastEval = p.step;
        out.write(
          parsed.json ? JSON.stringify({ event: 'progress', runId, ...p }) + '\n' : progressLine(runId, p, 120) + '\n',
        );
      }
    },
  });
  if (tty) out.write('\n');
  if (parsed.json) out.write(JSON.stringify({ event: 'finished', runId, ...result }) + '\n');
  else {
    const test = result.lastTest
      ? `; test loss ${result.lastTest.loss.toPrecision(4)}${result.lastTest.accuracy === undefined ? '' : `, accuracy ${(100 * result.lastTest.accuracy).toFixed(2)}%`} at step ${result.lastTest.step}`
      : '';
    out.write(
      `run ${runId}: ${result.status} after ${result.step} steps${test}${result.error && result.status !== 'SUCCEEDED' ? ` (${result.error})` : ''}\n`,
    );
  }
  return result;
}

export async function trainMain(argv: string[]): Promise<number> {
  let parsed: ParsedTrain | 'help';
  try {
    parsed = parseTrainArgs(argv);
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`rwa-lab train: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed === 'help') {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  const controller = new AbortController();
  let interrupts = 0;
  // Ctrl-C, or SIGTERM from a process manager: cancel after the current step with a checkpoint (the run can
  // be resumed); a second signal exits at once.
  const onSigint = (signal: NodeJS.Signals) => {
    interrupts += 1;
    if (interrupts === 1) {
      process.stderr.write(`\n${signal}: cancelling after the current step (again to exit at once)\n`);
      controller.abort();
    } else process.exit(130);
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let db: Database | undefined;
  try {
    db = await openDatabase(loadConfig().database);
    await applyMigrations(db);
    let runIds: number[];
    if (parsed.resume !== undefined) {
      const run = await db.prisma.run.findUnique({ where: { id: parsed.resume } });
      if (!run) throw new CliError(`--resume ${parsed.resume}: no run with that id in ${db.location}`);
      if (run.status === 'SUCCEEDED')
        throw new CliError(`--resume ${parsed.resume}: the run already SUCCEEDED at step ${run.currentStep}`);
      runIds = [run.id];
    } else {
      runIds = [];
      for (const config of parsed.configs)
        runIds.push((await createRun(db, config, parsed.experiment ? { experiment: parsed.experiment } : {})).id);
    }
    let failed = false;
    for (const id of runIds) {
      if (controller.signal.aborted) {
        await db.prisma.run.update({
          where: { id },
          data: { status: 'CANCELLED', error: 'cancelled before it started', finishedAt: new Date() },
        });
        continue;
      }
      const result = await runOne(db, id, parsed, controller.signal);
      if (result.status !== 'SUCCEEDED') failed = true;
    }
    return controller.signal.aborted ? 130 : failed ? 1 : 0;
  } catch (err) {
    if (err instanceof CliError || err instanceof RwaLabError) {
      process.stderr.write(`rwa-lab train: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await db?.close();
  }
}
