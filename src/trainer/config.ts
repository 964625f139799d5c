/**
 * One typed config per run, validated once at the edge (CLI flags, GraphQL inputs), stored with the run
 * so any result can be re-run exactly. Unknown keys and bad values are errors naming the field, the value
 * and what is allowed.
 */
import { MODEL_KINDS, type ModelKind } from './engines/engine.js';
import {
  createTask,
  resolveTaskOptions,
  TASK_NAMES,
  TaskConfigError,
  type TaskName,
  type TaskOptions,
} from './tasks/index.js';

export type EngineChoice = 'auto' | 'native' | 'tfjs';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'native', 'tfjs'];

export interface RunConfig {
  /** Which benchmark problem (tasks/index.ts). */
  task: TaskName;
  /** The task's resolved options, e.g. { length: 1000 } (every default filled in). */
  taskOptions: TaskOptions;
  /** Recurrent cell, or 'lstm-attention' (an LSTM whose readout attends over its past states). */
  model: ModelKind;
  /** Stacked layers; the paper uses 1. */
  layers: number;
  /** Units per layer; the paper uses 250. */
  units: number;
  /** Training steps (optimiser iterations); default: the paper's count for the task. */
  steps: number;
  /** Sequences per training step; the paper uses 100. */
  batchSize: number;
  /** Adam learning rate; the paper uses 0.001. */
  learningRate: number;
  /** Global gradient-norm clipping threshold; null: no clipping (the paper clips nothing). */
  clipNorm: number | null;
  /** Evaluate the fixed test set every this many steps; the paper logs every 100. */
  evalEvery: number;
  /** Size of the fixed held-out test set; the paper evaluates one batch of 100. */
  testSize: number;
  /** Test samples whose hidden states are captured at snapshot steps. */
  snapshotSamples: number;
  /** Capture hidden states every this many steps (a multiple of evalEvery; also at step 0 and the end). */
  snapshotEvery: number;
  /** Save weights and optimiser state every this many steps (and at the end), for --resume. */
  checkpointEvery: number;
  /** Seeds the weights, the data and the test set. */
  seed: number;
  /** auto: the native C++ engine when it loads, else TensorFlow.js. */
  engine: EngineChoice;
}

export class RunConfigError extends Error {
  override readonly name = 'RunConfigError';
  readonly code = 'BAD_USER_INPUT';
  constructor(
    /** The offending field, e.g. `units` or `taskOptions.length`. */
    readonly field: string,
    readonly value: unknown,
    message: string,
  ) {
    super(message);
  }
}

type IntRule = { kind: 'int'; min: number; max: number };
type NumRule = { kind: 'number'; min: number; max: number; exclusiveMin?: boolean };
const RULES = {
  layers: { kind: 'int', min: 1, max: 8 },
  units: { kind: 'int', min: 1, max: 4096 },
  steps: { kind: 'int', min: 1, max: 10_000_000 },
  batchSize: { kind: 'int', min: 1, max: 10_000 },
  learningRate: { kind: 'number', min: 0, max: 1, exclusiveMin: true },
  clipNorm: { kind: 'number', min: 0, max: 1e6, exclusiveMin: true },
  evalEvery: { kind: 'int', min: 1, max: 10_000_000 },
  testSize: { kind: 'int', min: 1, max: 100_000 },
  snapshotSamples: { kind: 'int', min: 0, max: 16 },
  snapshotEvery: { kind: 'int', min: 1, max: 10_000_000 },
  checkpointEvery: { kind: 'int', min: 1, max: 10_000_000 },
  seed: { kind: 'int', min: 0, max: 2 ** 31 - 1 },
} satisfies Record<string, IntRule | NumRule>;

const KEYS = ['task', 'taskOptions', 'model', 'engine', ...Object.keys(RULES)] as const;

/** What a caller may give: any subset, values possibly as strings (CLI); defaults fill the rest. */
export type RunConfigInput = Partial<Record<(typeof KEYS)[number], unknown>>;

export function resolveRunConfig(input: RunConfigInput): RunConfig {
  for (const key of Object.keys(input)) {
    if (!(KEYS as readonly string[]).includes(key) && input[key as keyof RunConfigInput] !== undefined) {
      throw new RunConfigError(
        key,
        input[key as keyof RunConfigInput],
        `unknown run setting ${JSON.stringify(key)}; known: ${KEYS.join(', ')}`,
      );
    }
  }
  const task = oneOf('task', input.task, TASK_NAMES, undefined);
  let taskOptions: TaskOptions;
  try {
    taskOptions = resolveTaskOptions(task, asRecord(input.taskOptions));
  } catch (err) {
    if (err instanceof TaskConfigError) {
      const key = /: (\w+) must be/.exec(err.message)?.[1] ?? /no option "(\w+)"/.exec(err.message)?.[1];
      const field = key ? `taskOptions.${key}` : 'taskOptions';
      throw new RunConfigError(field, key ? asRecord(input.taskOptions)[key] : input.taskOptions, err.message);
    }
    throw err;
  }
  const model = oneOf('model', input.model, MODEL_KINDS, 'rwa');
  const num = <K extends keyof typeof RULES>(key: K, fallback: number) => number(key, input[key], RULES[key], fallback);
  const evalEvery = num('evalEvery', 100);
  const defaultSteps = createTask(task, taskOptions, 0).defaultTrainingSteps;
  const config: RunConfig = {
    task,
    taskOptions,
    model,
    layers: num('layers', 1),
    units: num('units', 250),
    steps: num('steps', defaultSteps),
    batchSize: num('batchSize', 100),
    learningRate: num('learningRate', 0.001),
    clipNorm: input.clipNorm === null || input.clipNorm === undefined ? null : num('clipNorm', 0),
    evalEvery,
    testSize: num('testSize', 100),
    snapshotSamples: num('snapshotSamples', 4),
    snapshotEvery: num('snapshotEvery', evalEvery * 5),
    checkpointEvery: num('checkpointEvery', 1000),
    seed: num('seed', 1),
    engine: oneOf('engine', input.engine, ENGINE_CHOICES, 'auto'),
  };
  if (config.snapshotEvery % config.evalEvery !== 0) {
    throw new RunConfigError(
      'snapshotEvery',
      config.snapshotEvery,
      `snapshotEvery must be a multiple of evalEvery (${config.evalEvery}); got ${config.snapshotEvery}`,
    );
  }
  const maxTest = createTask(task, taskOptions, 0).maxTestSize;
  if (maxTest !== undefined && config.testSize > maxTest) {
    throw new RunConfigError(
      'testSize',
      config.testSize,
      `testSize must be at most ${maxTest} for task ${task}; got ${config.testSize}`,
    );
  }
  if (config.snapshotSamples > config.testSize) {
    throw new RunConfigError(
      'snapshotSamples',
      config.snapshotSamples,
      `snapshotSamples must be at most testSize (${config.testSize}); got ${config.snapshotSamples}`,
    );
  }
  return config;
}

/** The sequence length T of the run's task, where it has one (for the Run.length column and filters). */
export function taskLength(config: RunConfig): number | null {
  const length = config.taskOptions.length;
  return typeof length === 'number' ? length : null;
}

function asRecord(v: unknown): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v))
    throw new RunConfigError(
      'taskOptions',
      v,
      `taskOptions must be an object like {"length": 100}; got ${JSON.stringify(v)}`,
    );
  return v as Record<string, unknown>;
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[], fallback: T | undefined): T {
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw new RunConfigError(field, value, `${field} is required; one of ${allowed.join(', ')}`);
  }
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new RunConfigError(
      field,
      value,
      `${field} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

function number(field: string, raw: unknown, rule: IntRule | NumRule, fallback: number): number {
  if (raw === undefined || raw === null) return fallback;
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  const range = rule.kind === 'number' && rule.exclusiveMin ? `(${rule.min}, ${rule.max}]` : `${rule.min}..${rule.max}`;
  const what = rule.kind === 'int' ? `an integer in ${range}` : `a number in ${range}`;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (rule.kind !== 'int' || Number.isInteger(value)) &&
    (rule.kind === 'number' && rule.exclusiveMin ? value > rule.min : value >= rule.min) &&
    value <= rule.max;
  if (!ok) throw new RunConfigError(field, raw, `${field} must be ${what}; got ${JSON.stringify(raw)}`);
  return value as number;
}
