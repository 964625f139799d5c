/**
 * `rwa-lab reproduce`: queues the paper's grid (./grid.ts) as one experiment per task setting, then trains it
 * with an in-process worker until every run has finished, and prints the `rwa-lab report` command to run next.
 *
 *   npx rwa-lab reproduce                                   # quick: the whole grid in under an hour
 *   npx rwa-lab reproduce --scale paper --tasks adding --seeds 3
 *   DATABASE_URL=postgres://... npx rwa-lab reproduce --no-wait   # for a server's or remote workers' queue
 *
 * Runs go through the job queue in the same database as the server (DATABASE_URL, or the embedded one in
 * RWA_DATA_DIR, which only one process can open: stop the server first). Ctrl-C stops after the current step;
 * unfinished runs stay queued and resume from their checkpoints under `rwa-lab worker` or `npm start`.
 */
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../server/config.js';
import { openDatabase, type Database } from '../server/db/database.js';
import { applyMigrations } from '../server/db/migrate.js';
import { RwaLabError } from '../server/errors.js';
import { enqueueRuns, RunQueue } from '../server/queue/queue.js';
import { RunWorker } from '../server/queue/worker.js';
import { RunConfigError, type RunConfigInput } from '../trainer/config.js';
import { MODEL_KINDS, type ModelKind } from '../trainer/engines/engine.js';
import { createRun } from '../trainer/runs.js';
import type { ProgressRecord } from '../trainer/recorder.js';
import { loadRuns } from '../report/data.js';
import { fmtDuration } from '../report/markdown.js';
import { buildReport, fmtInt, fmtValue } from '../report/summary.js';
import {
  DEFAULT_MODELS,
  estimateSeconds,
  GRID_LENGTHS,
  GRID_TASKS,
  planBeyond,
  planGrid,
  BEYOND_DEFAULT_SEEDS,
  BEYOND_MODELS,
  BEYOND_QUICK_UNITS,
  SCALES,
  type GridTask,
  type PlannedExperiment,
  type Scale,
} from './grid.js';

export const USAGE = `usage: rwa-lab reproduce [--scale quick|paper] [--tasks LIST] [--lengths LIST] [--models LIST]
                         [--layers LIST] [--units N] [--seeds N] [--experiment-prefix TEXT] [--no-wait] [--json]
       rwa-lab reproduce --beyond [--scale quick|paper] [--units N] [--seeds N] [--experiment-prefix TEXT] ...

  --scale S                 quick (default): the whole grid in under an hour on 2 cores, fewer steps and units
                            (the table in src/reproduce/grid.ts); paper: the paper's steps and 250 units
  --tasks LIST              comma-separated, default all: ${GRID_TASKS.join(', ')}
                            (adding, copy and length each run T=100 and T=1000)
  --lengths LIST            only these T for adding, copy and length: ${GRID_LENGTHS.join(', ')} (default both)
  --models LIST             comma-separated, default ${DEFAULT_MODELS.join(',')}; known: ${MODEL_KINDS.join(', ')}
  --layers LIST             stacked layers, every model once per entry, e.g. 1,2,3 (default 1, the paper's; 1..8)
  --units N                 units of every run instead of the scale's (1..4096), e.g. 64 for a cheap grid
  --seeds N                 runs per task setting, model and layer count, seeds 1..N (default 1; 1..20)
  --experiment-prefix TEXT  experiments are named "TEXT: adding T=100", ... (default "reproduce SCALE")
  --beyond                  the rows beyond the paper instead (src/reproduce/grid.ts BEYOND_PARTS): ${BEYOND_MODELS.join(', ')}
                            on adding T=100, length T=100 and Reber with --seeds seeds (default ${BEYOND_DEFAULT_SEEDS}); RWA and LSTM
                            with 2 and 3 layers on adding T=100 (same seeds); every model once on copy T=100, length
                            T=1000, MNIST and permuted MNIST. ${BEYOND_QUICK_UNITS} units at the quick scale. Experiments "beyond SCALE: ..."
  --no-wait                 only queue the runs (a running server or \`rwa-lab worker\` trains them)
  --json                    one JSON object per line

Every setting uses the paper's batch 100, Adam 0.001 and a test every 100 steps; the models of a setting
train on the same data and seeds. The database is DATABASE_URL's PostgreSQL or the embedded one in ./data
(stop the server first: only one process can open it).`;

export class CliError extends Error {}

export interface ParsedReproduce {
  scale: Scale;
  tasks: GridTask[];
  models: ModelKind[];
  layers: number[];
  lengths: number[];
  units?: number;
  seeds: number;
  /** The plan beyond the paper (planBeyond) instead of the paper's grid. */
  beyond: boolean;
  experimentPrefix?: string;
  wait: boolean;
  json: boolean;
}

function list<T extends string>(flag: string, raw: string, allowed: readonly T[]): T[] {
  const items = raw.split(',').map((s) => s.trim());
  for (const item of items)
    if (!(allowed as readonly string[]).includes(item))
      throw new CliError(`--${flag} ${raw}: ${JSON.stringify(item)} is not one of ${allowed.join(', ')}`);
  if (new Set(items).size !== items.length) throw new CliError(`--${flag} ${raw}: list each one once`);
  return items as T[];
}

/** Parses and validates the flags; throws CliError naming the flag, its value and what is allowed. */
export function parseReproduceArgs(argv: string[]): ParsedReproduce | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        scale: { type: 'string' },
        tasks: { type: 'string' },
        models: { type: 'string' },
        layers: { type: 'string' },
        lengths: { type: 'string' },
        units: { type: 'string' },
        seeds: { type: 'string' },
        beyond: { type: 'boolean' },
        'experiment-prefix': { type: 'string' },
        'no-wait': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new CliError((err as Error).message.replace(/\. To specify.*$/s, ''));
  }
  if (values.help) return 'help';
  const str = (k: string) => values[k] as string | undefined;
  const scale = str('scale') ?? 'quick';
  if (!(SCALES as readonly string[]).includes(scale))
    throw new CliError(`--scale ${scale} is not a scale; use one of ${SCALES.join(', ')}`);
  const beyond = Boolean(values.beyond);
  if (beyond)
    for (const flag of ['tasks', 'lengths', 'models', 'layers'])
      if (values[flag] !== undefined)
        throw new CliError(
          `--${flag} ${String(values[flag])} cannot be combined with --beyond, which sets its own tasks, models and layers; with --beyond use --scale, --units, --seeds and --experiment-prefix (or drop --beyond)`,
        );
  const seedsRaw = str('seeds') ?? (beyond ? String(BEYOND_DEFAULT_SEEDS) : '1');
  const seeds = Number(seedsRaw);
  if (!/^\d+$/.test(seedsRaw) || seeds < 1 || seeds > 20)
    throw new CliError(`--seeds ${seedsRaw}: expected an integer in 1..20`);
  const layersRaw = str('layers') ?? '1';
  const layers = list('layers', layersRaw, ['1', '2', '3', '4', '5', '6', '7', '8']).map(Number);
  const lengths = list('lengths', str('lengths') ?? GRID_LENGTHS.join(','), GRID_LENGTHS.map(String)).map(Number);
  const unitsRaw = str('units');
  if (unitsRaw !== undefined && (!/^\d+$/.test(unitsRaw) || Number(unitsRaw) < 1 || Number(unitsRaw) > 4096))
    throw new CliError(`--units ${unitsRaw}: expected an integer in 1..4096`);
  const prefix = str('experiment-prefix');
  if (prefix !== undefined && (prefix.trim().length < 1 || prefix.trim().length > 150))
    throw new CliError(`--experiment-prefix ${JSON.stringify(prefix)}: expected 1 to 150 characters`);
  return {
    scale: scale as Scale,
    tasks: str('tasks') === undefined ? [...GRID_TASKS] : list('tasks', str('tasks')!, GRID_TASKS),
    models: str('models') === undefined ? [...DEFAULT_MODELS] : list('models', str('models')!, MODEL_KINDS),
    layers,
    lengths,
    ...(unitsRaw === undefined ? {} : { units: Number(unitsRaw) }),
    seeds,
    beyond,
    ...(prefix === undefined ? {} : { experimentPrefix: prefix.trim() }),
    wait: !values['no-wait'],
    json: Boolean(values.json),
  };
}

/** What tests (or another caller) may supply instead of the environment. */
export interface ReproduceDeps {
  /** An open, migrated database (default: the configured one, opened and migrated here). */
  db?: Database;
  config?: Config;
  /** Rewrites every run's settings (tests pass grid.ts's `tiny`). */
  shrink?: (input: RunConfigInput) => RunConfigInput;
  /** Where lines go (default stdout). */
  write?: (text: string) => void;
  /** Progress lines rewrite one terminal line (default: stdout is a TTY and not --json). */
  tty?: boolean;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'DIVERGED']);

export async function reproduceMain(argv: string[], deps: ReproduceDeps = {}): Promise<number> {
  const write = deps.write ?? ((text: string) => void process.stdout.write(text));
  let parsed: ParsedReproduce | 'help';
  let plan: PlannedExperiment[];
  try {
    parsed = parseReproduceArgs(argv);
    if (parsed === 'help') {
      write(USAGE + '\n');
      return 0;
    }
    const shrink = deps.shrink ? { shrink: deps.shrink } : {};
    plan = parsed.beyond ? planBeyond({ ...parsed, ...shrink }) : planGrid({ ...parsed, ...shrink });
  } catch (err) {
    if (err instanceof CliError || err instanceof RunConfigError) {
      process.stderr.write(`rwa-lab reproduce: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  const args = parsed;
  const emit = (event: Record<string, unknown>, text: string) =>
    write(args.json ? JSON.stringify(event) + '\n' : text + '\n');
  const config = deps.config ?? loadConfig();
  let db = deps.db;
  let queue: RunQueue | undefined;
  let worker: RunWorker | undefined;
  let onSigint: (() => void) | undefined;
  try {
    if (!db) {
      try {
        db = await openDatabase(config.database);
      } catch (err) {
        if (err instanceof RwaLabError && err.code === 'DATA_DIR_LOCKED')
          throw new CliError(
            `${err.message}.\nIf that is the server (npm start), stop it and run reproduce again, or queue the grid ` +
              'for the server to train: stop it, run `rwa-lab reproduce --no-wait`, and start it again',
          );
        throw err;
      }
      await applyMigrations(db);
    }
    const database = db;
    for (const e of plan) {
      const existing = await database.prisma.experiment.findUnique({
        where: { name: e.name },
        select: { _count: { select: { runs: true } } },
      });
      if (existing && existing._count.runs > 0)
        throw new CliError(
          `the experiment ${JSON.stringify(e.name)} already has ${existing._count.runs} runs in ${database.location}; ` +
            'name a new set with --experiment-prefix TEXT (its queued runs, if any, continue under `rwa-lab worker`)',
        );
    }
    const earlier = await database.prisma.run.count({ where: { status: { in: ['QUEUED', 'RUNNING'] } } });
    queue = await RunQueue.open(database, config);
    const runIds: number[] = [];
    const describe = new Map<number, string>();
    for (const e of plan) {
      const ids: number[] = [];
      for (const c of e.configs) {
        const run = await createRun(database, c, {
          experiment: e.name,
          description: `rwa-lab reproduce${args.beyond ? ' --beyond' : ''} --scale ${args.scale}: ${c.steps} steps, ${c.units} units${c.layers > 1 ? `, ${c.layers} layers` : ''}${e.setting.reason ? ` (${e.setting.reason})` : ''}`,
        });
        ids.push(run.id);
        describe.set(run.id, `${e.setting.label}, ${c.model}${c.layers > 1 ? ` ×${c.layers}` : ''}, seed ${c.seed}`);
      }
      await enqueueRuns(database, queue, ids);
      runIds.push(...ids);
    }
    const estimate = estimateSeconds(plan);
    emit(
      {
        event: 'queued',
        experiments: plan.map((e) => ({ name: e.name, runs: e.configs.length })),
        runIds,
        estimatedSeconds: Math.round(estimate),
        queuedEarlier: earlier,
      },
      `queued ${plural(runIds.length, 'run')} in ${plural(plan.length, 'experiment')} (${plan.map((e) => JSON.stringify(e.name)).join(', ')}) ` +
        `on ${database.location}; about ${fmtDuration(estimate)} of training on one idle worker` +
        (earlier ? ` (after ${earlier} runs queued earlier)` : ''),
    );
    const reportCommand = [
      'npx rwa-lab report',
      ...plan.map((e) => JSON.stringify(e.name)),
      '--out',
      `docs/reproduction/${(args.experimentPrefix ?? `${args.beyond ? 'beyond' : 'reproduce'} ${args.scale}`).replace(/[^A-Za-z0-9-]+/g, '-')}`,
    ].join(' ');
    if (!args.wait) {
      emit(
        { event: 'next', report: reportCommand },
        'not waiting (--no-wait): a running server (npm start) or `rwa-lab worker` trains them; then run\n  ' +
          reportCommand,
      );
      return 0;
    }

    const tty = deps.tty ?? (process.stdout.isTTY === true && !args.json);
    const lastPrinted = new Map<number, number>();
    let onLine = false;
    const endLine = () => {
      if (onLine) write('\n');
      onLine = false;
    };
    worker = await RunWorker.start(database, queue, config, {
      concurrency: 1,
      onProgress: (runId: number, p: ProgressRecord) => {
        if (!describe.has(runId)) return;
        const line = progressLine(runId, describe.get(runId)!, p);
        if (tty) {
          write(`\r${line}\x1b[K`);
          onLine = true;
          return;
        }
        // Off a terminal: about ten lines per run, at evaluations.
        const every = Math.max(p.totalSteps / 10, 1);
        if (p.testLoss !== undefined && p.step - (lastPrinted.get(runId) ?? 0) >= every) {
          lastPrinted.set(runId, p.step);
          emit({ event: 'progress', runId, ...p }, line);
        }
      },
    });
    const controller = new AbortController();
    onSigint = () => {
      if (controller.signal.aborted) process.exit(130);
      endLine();
      process.stderr.write(
        'stopping after the current step (Ctrl-C again to exit at once); unfinished runs stay queued (rwa-lab worker resumes them)\n',
      );
      controller.abort();
    };
    process.on('SIGINT', onSigint);

    const started = Date.now();
    const done = new Map<number, string>();
    while (done.size < runIds.length && !controller.signal.aborted) {
      await new Promise((r) => setTimeout(r, 500));
      const rows = await database.prisma.run.findMany({
        where: { id: { in: runIds.filter((id) => !done.has(id)) }, status: { in: [...TERMINAL] as never } },
        select: { id: true, status: true, currentStep: true, startedAt: true, finishedAt: true, error: true },
      });
      for (const r of rows) {
        done.set(r.id, r.status);
        endLine();
        const seconds = r.startedAt && r.finishedAt ? (r.finishedAt.getTime() - r.startedAt.getTime()) / 1000 : null;
        emit(
          { event: 'finished', runId: r.id, status: r.status, step: r.currentStep, seconds, error: r.error },
          `run ${r.id} (${describe.get(r.id)}): ${r.status} after ${fmtInt(r.currentStep)} steps` +
            `${seconds === null ? '' : ` in ${fmtDuration(seconds)}`}` +
            `${r.status !== 'SUCCEEDED' && r.error ? ` (${r.error.split('\n')[0]})` : ''}` +
            ` [${done.size}/${runIds.length}]`,
        );
      }
    }
    endLine();
    await worker.stop();
    worker = undefined;
    if (controller.signal.aborted) return 130;

    await summarize(database, plan, emit);
    emit(
      { event: 'next', report: reportCommand, seconds: (Date.now() - started) / 1000 },
      `all ${runIds.length} runs finished in ${fmtDuration((Date.now() - started) / 1000)}; the report:\n  ${reportCommand}`,
    );
    return [...done.values()].every((s) => s === 'SUCCEEDED') ? 0 : 1;
  } catch (err) {
    if (err instanceof CliError || err instanceof RwaLabError) {
      process.stderr.write(`rwa-lab reproduce: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    if (onSigint) process.off('SIGINT', onSigint);
    await worker?.stop();
    await queue?.stop();
    if (!deps.db) await db?.close();
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function progressLine(runId: number, what: string, p: ProgressRecord): string {
  const test =
    p.testLoss === undefined
      ? ''
      : `  test ${p.testLoss.toPrecision(3)}${p.testAccuracy === undefined ? '' : ` (${(100 * p.testAccuracy).toFixed(1)}%)`}`;
  return (
    `run ${runId} (${what}) ${p.step}/${p.totalSteps}  loss ${p.trainLoss.toPrecision(3)}${test}` +
    `  ${p.stepsPerSecond.toFixed(2)} steps/s  ETA ${Number.isFinite(p.etaSeconds) ? fmtDuration(p.etaSeconds) : '?'}`
  );
}

/** One line per (setting, model): steps to the paper's threshold and the final value, beside the paper's. */
async function summarize(
  db: Database,
  plan: readonly PlannedExperiment[],
  emit: (event: Record<string, unknown>, text: string) => void,
): Promise<void> {
  const experiments = await db.prisma.experiment.findMany({ where: { name: { in: plan.map((e) => e.name) } } });
  const groups = buildReport(
    await loadRuns(
      db,
      experiments.map((e) => e.id),
    ),
  );
  for (const g of groups)
    for (const row of g.rows) {
      const steps = !g.threshold
        ? 'no threshold'
        : row.reached === 0
          ? `never under the threshold in ${fmtInt(row.runs[0]?.steps ?? 0)} steps`
          : `${fmtInt(row.steps!.mean)} steps to threshold${row.reached < row.runs.length ? ` (${row.reached}/${row.runs.length} runs)` : ''}`;
      const paperSteps = row.paperSteps === null ? '' : ` (paper ${fmtInt(row.paperSteps)})`;
      const final = row.final ? `; final ${fmtValue(row.final.mean, g.finalMetric)}` : '';
      const paperFinal = row.paperFinal === null ? '' : ` (paper ${fmtValue(row.paperFinal, g.finalMetric)})`;
      emit(
        {
          event: 'summary',
          setting: g.label,
          model: row.model,
          runs: row.runs.length,
          reached: row.reached,
          steps: row.steps?.mean ?? null,
          paperSteps: row.paperSteps,
          final: row.final?.mean ?? null,
          paperFinal: row.paperFinal,
        },
        `${g.label}, ${row.label}: ${steps}${g.threshold ? paperSteps : ''}${final}${paperFinal}`,
      );
    }
}
