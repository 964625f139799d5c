/**
 * The paper's grid as data: which runs `rwa-lab reproduce` queues. One experiment per task setting (the rows
 * of ../report/paper.ts, so `rwa-lab report` finds the paper's numbers for each), one run per (model, seed),
 * every model of a setting trained on the same data and seeds. Pure: no database.
 *
 *   npx rwa-lab reproduce --scale quick --tasks adding,length
 */
import { resolveRunConfig, type RunConfig, type RunConfigInput } from '../trainer/config.js';
import type { ModelKind } from '../trainer/engines/engine.js';
import { createTask } from '../trainer/tasks/index.js';
import { PAPER_ROWS, PAPER_SETTINGS, type PaperRow } from '../report/paper.js';

export type Scale = 'quick' | 'paper';
export const SCALES: readonly Scale[] = ['quick', 'paper'];

/** The names --tasks takes; adding, copy and length each stand for their two lengths (T=100 and 1000). */
export type GridTask = 'adding' | 'copy' | 'length' | 'reber' | 'mnist' | 'permuted-mnist';
export const GRID_TASKS: readonly GridTask[] = ['adding', 'copy', 'length', 'reber', 'mnist', 'permuted-mnist'];

export const DEFAULT_MODELS: readonly ModelKind[] = ['rwa', 'lstm'];

/** One task setting of the grid: a paper row and how big this scale makes it. */
export interface GridSetting {
  gridTask: GridTask;
  /** The paper row's label, e.g. 'adding T=1000'. */
  label: string;
  task: string;
  taskOptions: Record<string, unknown>;
  steps: number;
  units: number;
  /** Why this scale differs from the paper here ('' at paper scale). */
  reason: string;
}

/**
 * The quick scale: under an hour for the whole grid (one seed, RWA and LSTM) on a 2-core machine.
 *
 * Budget arithmetic, with the native engine's speed at batch 100 (about 0.1 s per RWA step and 0.2 s per
 * LSTM step at T = 100 with 250 units; cost grows linearly with T and about as units^1.8, fitted to steps
 * measured at 64 and 250 units), so 1e-3 s (RWA) and 2e-3 s (LSTM) per time step at 250 units, times
 * (units / 250)^1.8: 0.30 at 128 units, 0.086 at 64 (see estimateSeconds):
 *
 *   adding T=100    2,000 x 100 steps x 3e-3 s             600 s
 *   adding T=1000   2,000 x 1000 x 3e-3 x 0.086            516 s
 *   copy T=100        1,500 x 120 x 3e-3 x 0.30            162 s   (the copy sequence is T + 20 steps)
 *   copy T=1000         500 x 1020 x 3e-3 x 0.086          132 s
 *   length T=100    1,000 x 100 x 3e-3                     300 s
 *   length T=1000   1,000 x 1000 x 3e-3 x 0.086            258 s
 *   Reber           1,000 x 50 x 3e-3                      150 s
 *   MNIST, permuted   2 x 300 x 784 x 3e-3 x 0.086         121 s
 *                                                 total ~2,240 s = 37 min (+ tests every 100 steps, ~1%)
 *
 * 250 units are kept wherever the budget allows (T = 100 and Reber); T = 1000 and MNIST keep their lengths
 * (shorter sequences would be another experiment and lose the paper's row) and cut units instead.
 * A busy machine is slower: with another training run on one of the two cores, steps took ~3x as long.
 */
const QUICK: Record<string, { steps: number; units: number; reason: string }> = {
  'adding T=100': {
    steps: 2_000,
    units: 250,
    reason: 'paper: RWA under 0.01 at 1,000 steps, LSTM at 3,700; 2,000 show RWA ahead',
  },
  'adding T=1000': {
    steps: 2_000,
    units: 64,
    reason: 'paper: RWA 1,600, LSTM 16,800; 64 units make a T=1000 step ~12x cheaper',
  },
  'copy T=100': {
    steps: 1_500,
    units: 128,
    reason: 'paper thresholds (7,600 / 24,100) are out of reach; the early curves only',
  },
  'copy T=1000': { steps: 500, units: 64, reason: 'early curves only (paper 8,700 / 49,400 steps)' },
  'length T=100': { steps: 1_000, units: 250, reason: 'paper: 600 / 400 steps to 99%' },
  'length T=1000': {
    steps: 1_000,
    units: 64,
    reason: 'paper: RWA 400, LSTM 2,500 steps to 99%; RWA should reach, LSTM not yet',
  },
  Reber: { steps: 1_000, units: 250, reason: 'paper: 600 / 1,200 steps to 99%' },
  MNIST: { steps: 300, units: 64, reason: 'a first look only: the paper trains 250,000 steps' },
  'permuted MNIST': { steps: 300, units: 64, reason: 'a first look only: the paper trains 250,000 steps' },
};

function gridTaskOf(row: PaperRow): GridTask {
  if (row.task === 'mnist') return row.variant === 'permuted' ? 'permuted-mnist' : 'mnist';
  return row.task as GridTask;
}

/** The lengths --lengths takes (adding, copy and length run at these T; Reber and MNIST have none). */
export const GRID_LENGTHS: readonly number[] = [100, 1000];

/**
 * The grid's task settings at a scale, in the paper's order, for the chosen tasks (default all) and, for the
 * tasks with a length T, the chosen lengths (default both).
 */
export function gridSettings(
  scale: Scale,
  tasks: readonly GridTask[] = GRID_TASKS,
  lengths: readonly number[] = GRID_LENGTHS,
): GridSetting[] {
  const rows = PAPER_ROWS.filter(
    (row) =>
      tasks.includes(gridTaskOf(row)) && (row.length === null || row.task === 'reber' || lengths.includes(row.length)),
  );
  return rows.map((row) => {
    const taskOptions: Record<string, unknown> = {};
    if (row.length !== null && row.task !== 'reber') taskOptions.length = row.length;
    if (row.variant !== undefined) taskOptions.variant = row.variant;
    const quick = QUICK[row.label];
    if (!quick) throw new Error(`no quick setting for the paper row ${row.label}`);
    const size =
      scale === 'paper' ? { steps: row.trainingSteps, units: PAPER_SETTINGS.units, reason: '' } : { ...quick };
    return { gridTask: gridTaskOf(row), label: row.label, task: row.task, taskOptions, ...size };
  });
}

export interface GridOptions {
  scale: Scale;
  tasks?: readonly GridTask[];
  models?: readonly ModelKind[];
  /** Stacked layers: every model runs once per entry (default [1], the paper's). */
  layers?: readonly number[];
  /** Lengths T of adding, copy and length (default both, 100 and 1000). */
  lengths?: readonly number[];
  /** Units of every run, instead of the scale's (a cheaper grid for the rows beyond the paper). */
  units?: number;
  /** Runs per (setting, model, layers): seeds 1..seeds. */
  seeds?: number;
  /** Experiment names are `${prefix}: ${label}`; default `reproduce ${scale}`. */
  experimentPrefix?: string;
  /** Rewrites each run's settings before validation (tests shrink the grid with `tiny`). */
  shrink?: (input: RunConfigInput) => RunConfigInput;
}

export interface PlannedExperiment {
  name: string;
  setting: GridSetting;
  /** Seed-major: seed 1's models (each at every layer count), then seed 2's, ... */
  configs: RunConfig[];
}

/** The experiments and validated run configs of a reproduction. */
export function planGrid(options: GridOptions): PlannedExperiment[] {
  const models = options.models ?? DEFAULT_MODELS;
  const layerCounts = options.layers ?? [1];
  const seeds = options.seeds ?? 1;
  const prefix = options.experimentPrefix ?? `reproduce ${options.scale}`;
  return gridSettings(options.scale, options.tasks, options.lengths).map((scaled) => {
    const setting = resize(scaled, options.units);
    const configs = settingConfigs(setting, models, layerCounts, seeds, options.shrink);
    return { name: `${prefix}: ${setting.label}`, setting, configs };
  });
}

function resize(scaled: GridSetting, units: number | undefined): GridSetting {
  if (units === undefined || units === scaled.units) return scaled;
  return {
    ...scaled,
    units,
    reason: `${units} units for every row (--units)${scaled.reason ? `; ${scaled.reason}` : ''}`,
  };
}

/** Seed-major runs of one setting: every model at every layer count, seeds 1..seeds, the same data per seed. */
function settingConfigs(
  setting: GridSetting,
  models: readonly ModelKind[],
  layerCounts: readonly number[],
  seeds: number,
  shrink: GridOptions['shrink'],
): RunConfig[] {
  const configs: RunConfig[] = [];
  for (let seed = 1; seed <= seeds; seed++)
    for (const model of models)
      for (const layers of layerCounts) {
        const input: RunConfigInput = {
          task: setting.task,
          taskOptions: setting.taskOptions,
          model,
          layers,
          units: setting.units,
          steps: setting.steps,
          batchSize: PAPER_SETTINGS.batchSize,
          learningRate: PAPER_SETTINGS.learningRate,
          evalEvery: PAPER_SETTINGS.evalEvery,
          seed,
        };
        configs.push(resolveRunConfig(shrink ? shrink(input) : input));
      }
  return configs;
}

/** One part of the plan beyond the paper: these settings (paper row labels), models and depths. */
export interface BeyondPart {
  /** What the part asks, for the plan's description. */
  question: string;
  labels: readonly string[];
  models: readonly ModelKind[];
  layers: readonly number[];
  /** 'all' takes --seeds (default 3); a number fixes it (the costly coverage rows run one seed). */
  seeds: 'all' | number;
}

export const BEYOND_MODELS: readonly ModelKind[] = ['rwa', 'lstm', 'gru', 'rda', 'lstm-attention'];

/**
 * `rwa-lab reproduce --beyond`: the rows beyond the paper, as one plan. The questions (does depth help RWA? does
 * RWA beat an LSTM with attention? what do GRU and RDA do?) are asked with several seeds on the cheap T=100
 * settings; every model also runs every other task once, so each task has a row per model. At the quick scale
 * every row has 64 units (--units to change), which keeps the whole plan near an hour on two idle cores.
 */
export const BEYOND_PARTS: readonly BeyondPart[] = [
  {
    question: 'GRU, RDA and LSTM+attention beside RWA and LSTM, with the spread over seeds',
    labels: ['adding T=100', 'length T=100', 'Reber'],
    models: BEYOND_MODELS,
    layers: [1],
    seeds: 'all',
  },
  {
    question: 'does depth help RWA (and LSTM)? 2 and 3 stacked layers',
    labels: ['adding T=100'],
    models: ['rwa', 'lstm'],
    layers: [2, 3],
    seeds: 'all',
  },
  {
    question: 'every model on every other task, one seed',
    labels: ['copy T=100', 'length T=1000', 'MNIST', 'permuted MNIST'],
    models: BEYOND_MODELS,
    layers: [1],
    seeds: 1,
  },
];

export const BEYOND_QUICK_UNITS = 64;
export const BEYOND_DEFAULT_SEEDS = 3;

/** The beyond-the-paper plan: one experiment per setting, `${prefix}: ${label}` (default prefix `beyond SCALE`). */
export function planBeyond(
  options: Pick<GridOptions, 'scale' | 'units' | 'seeds' | 'experimentPrefix' | 'shrink'>,
): PlannedExperiment[] {
  const units = options.units ?? (options.scale === 'quick' ? BEYOND_QUICK_UNITS : undefined);
  const prefix = options.experimentPrefix ?? `beyond ${options.scale}`;
  const byLabel = new Map<string, PlannedExperiment>();
  for (const scaled of gridSettings(options.scale)) {
    const setting = resize(scaled, units);
    for (const part of BEYOND_PARTS) {
      if (!part.labels.includes(setting.label)) continue;
      const seeds = part.seeds === 'all' ? (options.seeds ?? BEYOND_DEFAULT_SEEDS) : part.seeds;
      const configs = settingConfigs(setting, part.models, part.layers, seeds, options.shrink);
      const planned = byLabel.get(setting.label);
      if (planned) planned.configs.push(...configs);
      else byLabel.set(setting.label, { name: `${prefix}: ${setting.label}`, setting, configs });
    }
  }
  return [...byLabel.values()];
}

/**
 * Seconds per time step of one training step at batch 100 and 250 units, by model (RWA and LSTM measured;
 * GRU has 3 gate blocks to LSTM's 4 and RDA adds one block to RWA's 3; LSTM+attention measured at LSTM's cost
 * + 4-10% with K = 1, plus its O(K T N) attention below; unknown models count as LSTM).
 */
const PER_TIME_STEP: Record<string, number> = {
  rwa: 1e-3,
  lstm: 2e-3,
  gru: 1.5e-3,
  rda: 1.3e-3,
  'lstm-attention': 2.1e-3,
};

/** Seconds one training step takes at batch 100 on the native engine (the model in QUICK's comment). */
export function secondsPerStep(config: RunConfig): number {
  const perTimeStep = PER_TIME_STEP[config.model] ?? 2e-3;
  const task = createTask(config.task, config.taskOptions, 0);
  const T = task.sequenceSteps;
  // Attention over the past at each of the K read-out steps (K = T + 20 on the paper's copy task): measured
  // ~2.5e-6 s per (k, s) pair, nearly independent of the units (~30 ms more per step at K = T = 120 and 64 units,
  // ~2.5 s at K = T = 1020 and 250 units; native, 2 threads, loaded machine).
  const attention = config.model === 'lstm-attention' ? 2.5e-6 * task.outputSteps * T : 0;
  // Plus what does not shrink with the units (elementwise work, the loop, recording): ~5e-5 s per time step,
  // which is most of a step at 64 units (measured: 20 ms per RWA adding T=100 step at 64 units, loaded machine).
  return (
    ((perTimeStep * (config.units / 250) ** 1.8 + 5e-5) * T * config.layers + attention) * (config.batchSize / 100)
  );
}

/** Estimated training seconds of a plan on one worker (evaluations add about 1%). */
export function estimateSeconds(plan: readonly PlannedExperiment[]): number {
  let total = 0;
  for (const e of plan) for (const c of e.configs) total += c.steps * secondsPerStep(c) * 1.01;
  return total;
}

/** A grid small enough for a test: 8 units, 30 steps of 20 sequences, lengths divided by 20 (at least 5). */
export function tiny(input: RunConfigInput): RunConfigInput {
  const options = input.taskOptions as Record<string, unknown>;
  const length = typeof options.length === 'number' ? { length: Math.max(5, Math.round(options.length / 20)) } : {};
  return {
    ...input,
    taskOptions: { ...options, ...length },
    units: 8,
    steps: 30,
    batchSize: 20,
    testSize: 20,
    evalEvery: 10,
    snapshotSamples: 1,
    snapshotEvery: 10,
    checkpointEvery: 10,
  };
}
