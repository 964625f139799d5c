/**
 * The task contract: seeded generators of the paper's benchmark problems, kept apart from training.
 *
 * Terminology
 * - task: one problem (adding, copy, length, reber, mnist) built from validated options and a seed by
 *   ./index.ts (`createTask('adding', { length: 1000 }, seed)`). It knows the model-facing sizes, the loss,
 *   the metrics and the paper's step count; it never imports a model, an engine or the database.
 * - sequence steps T: time steps of every batch of the task (x is (T, B, F)). For variable-length tasks
 *   (length, reber) T is the maximum length and `mask` marks each sequence's real prefix.
 * - training step: one optimiser iteration. `trainBatch(step, B)` depends only on (options, seed, step, B):
 *   generated tasks draw batch `step` from its own random stream `new Rng(seed, step)`; finite data sets
 *   (MNIST) walk a per-epoch permutation. A resumed run therefore sees exactly the same data order.
 * - test set: a fixed held-out set drawn from a stream no training step uses (stream TEST_STREAM), or for
 *   a finite data set a split disjoint from the training split. `testSet(n)` is a prefix of `testSet(m)`
 *   for n <= m.
 * - targets: loss 'mse' and 'sigmoid': values (K, B, O). Loss 'softmax': class indices (K, B), stored as
 *   small integers in a Float32Array. K = outputSteps, read at the last K time steps (see engine.ts).
 * - events: one plain-JSON object per sample describing what the dashboard should mark on a hidden-state
 *   heatmap (marker positions, recall step, length, label, ...). Each task documents its fields.
 */
import type { SequenceBatch } from '../engines/engine.js';
import { Rng } from '../random.js';

export type TaskName = 'adding' | 'copy' | 'length' | 'reber' | 'mnist';
export type LossKind = 'mse' | 'softmax' | 'sigmoid';
export type MetricName = 'loss' | 'accuracy';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type SampleEvents = { [key: string]: JsonValue };
/** Resolved options (every default filled in): stored with the run so it can be re-created exactly. */
export type TaskOptions = Readonly<Record<string, number | string>>;

export interface TaskBatch<E extends SampleEvents = SampleEvents> extends SequenceBatch {
  /** mse/sigmoid: (K, B, O) values; softmax: (K, B) class indices as floats. */
  targets: Float32Array;
  /** (B) real steps of each sequence: T for fixed-length tasks; mask[t, b] = t < lengths[b]. */
  lengths: Int32Array;
  /** (B) one plain-JSON description per sample. */
  events: E[];
}

export interface Task<E extends SampleEvents = SampleEvents> {
  readonly name: TaskName;
  readonly seed: number;
  readonly options: TaskOptions;
  /** T: time steps of every batch. */
  readonly sequenceSteps: number;
  /** F, O and K of the ModelSpec a model for this task needs. */
  readonly inputSize: number;
  readonly outputSize: number;
  readonly outputSteps: number;
  readonly loss: LossKind;
  /** 'loss' always; 'accuracy' for classification tasks. */
  readonly metrics: readonly MetricName[];
  /** The paper's number of training steps for this task. */
  readonly defaultTrainingSteps: number;
  /** Largest test set available (finite data sets); undefined: unlimited. */
  readonly maxTestSize?: number;
  trainBatch(step: number, batchSize: number): TaskBatch<E>;
  testSet(size: number): TaskBatch<E>;
}

/** How one option of a task is validated; index.ts turns violations into TaskConfigErrors. */
export type OptionSpec =
  | { kind: 'int'; min: number; max: number; default: number | ((resolved: TaskOptions) => number); doc: string }
  | { kind: 'enum'; values: readonly string[]; default: string; doc: string };

export interface TaskDefinition {
  name: TaskName;
  summary: string;
  /** Enum options are resolved before int options, so an int default may depend on an enum (length's variant). */
  options: Record<string, OptionSpec>;
  create(options: TaskOptions, seed: number): Task;
}

/** Stream of the fixed test set; training step s uses stream s, and steps are limited to below this. */
export const TEST_STREAM = 2 ** 30;
export const MAX_BATCH_SIZE = 100_000;

export function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 0 || step >= TEST_STREAM)
    throw new RangeError(`training step must be an integer in 0..${TEST_STREAM - 1}, got ${step}`);
}

export function checkSize(what: string, size: number, max = MAX_BATCH_SIZE): void {
  if (!Number.isInteger(size) || size < 1 || size > max)
    throw new RangeError(`${what} must be an integer in 1..${max}, got ${size}`);
}

/**
 * Collects samples into a time-major batch. Tasks write one sample at a time (so a test set of n samples
 * is a prefix of one of m > n samples) through `set`, `setTarget` and `finish`.
 */
export class BatchBuilder<E extends SampleEvents> {
  readonly x: Float32Array;
  readonly mask: Float32Array | undefined;
  readonly targets: Float32Array;
  readonly lengths: Int32Array;
  readonly events: E[] = [];

  constructor(
    readonly T: number,
    readonly B: number,
    readonly F: number,
    /** Target values per (k, b): O for mse/sigmoid, 1 for softmax. */
    readonly targetWidth: number,
    readonly K: number,
    masked: boolean,
  ) {
    this.x = new Float32Array(T * B * F); // (T, B, F)
    this.mask = masked ? new Float32Array(T * B) : undefined; // (T, B)
    this.targets = new Float32Array(K * B * targetWidth); // (K, B, O) or (K, B)
    this.lengths = new Int32Array(B).fill(T);
  }

  /** x[t, b, f] = v. */
  set(t: number, b: number, f: number, v: number): void {
    this.x[(t * this.B + b) * this.F + f] = v;
  }

  /** targets[k, b, o] = v (o = 0 for class indices). */
  setTarget(k: number, b: number, o: number, v: number): void {
    this.targets[(k * this.B + b) * this.targetWidth + o] = v;
  }

  /** Records sample b's length (its mask prefix) and events. */
  finish(b: number, length: number, events: E): void {
    this.lengths[b] = length;
    if (this.mask) for (let t = 0; t < length; t++) this.mask[t * this.B + b] = 1;
    this.events[b] = events;
  }

  build(): TaskBatch<E> {
    const batch: TaskBatch<E> = {
      steps: this.T,
      batchSize: this.B,
      x: this.x,
      targets: this.targets,
      lengths: this.lengths,
      events: this.events,
    };
    if (this.mask) batch.mask = this.mask;
    return batch;
  }
}

/** The shared shape of generated (infinite) tasks: one random stream per batch, samples written in order. */
export function generatedTask<E extends SampleEvents>(
  spec: Omit<Task<E>, 'trainBatch' | 'testSet' | 'maxTestSize'> & {
    masked: boolean;
    /** Writes sample b of the batch, drawing only from rng. */
    sample(rng: Rng, out: BatchBuilder<E>, b: number): void;
  },
): Task<E> {
  const { masked, sample, ...fields } = spec;
  const targetWidth = spec.loss === 'softmax' ? 1 : spec.outputSize;
  const draw = (rng: Rng, B: number) => {
    const out = new BatchBuilder<E>(spec.sequenceSteps, B, spec.inputSize, targetWidth, spec.outputSteps, masked);
    for (let b = 0; b < B; b++) sample(rng, out, b);
    return out.build();
  };
  return {
    ...fields,
    trainBatch(step, batchSize) {
      checkStep(step);
      checkSize('batch size', batchSize);
      return draw(new Rng(spec.seed, step), batchSize);
    },
    testSet(size) {
      checkSize('test set size', size);
      return draw(new Rng(spec.seed, TEST_STREAM), size);
    },
  };
}
