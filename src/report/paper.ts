/**
 * The paper's numbers, as data: what a reproduction report compares our runs against.
 *
 * Source: Ostmeyer & Cowell, "Machine Learning on Sequential Data Using a Recurrent Weighted Average",
 * arXiv 1703.01253 (2017), and its authors' training logs (../shared/reference/paper-logs), as tabulated in
 * ../shared/docs/rwa-reference.md ("Results in the authors' logs" and "Steps until the test cost first
 * holds under the threshold"). Final values are the mean of the last 10 test evaluations of those logs;
 * steps are evaluation steps (the logs test every 100 steps), computed with ./metrics.ts's definition
 * (a test in test/report.paper-logs.test.ts recomputes them from the logs).
 */

export type PaperModel = 'rwa' | 'lstm';

/** Which curve a number is read from, and in what unit. */
export type PaperMetric = 'loss' | 'accuracy';

export interface Threshold {
  metric: PaperMetric;
  value: number;
  /** 'below': the loss must be < value; 'atLeast': the accuracy must be >= value. */
  direction: 'below' | 'atLeast';
}

export interface PaperRow {
  /** e.g. 'adding T=100'; also the title of its chart. */
  label: string;
  task: string;
  /** T, where the task has one. */
  length: number | null;
  /** The task variant the paper's runs used, where the task has several. */
  variant?: string;
  /** Unit of the loss curve: 'MSE' or 'bits' (cross-entropy / ln 2, as our runs and the logs record it). */
  lossUnit: string;
  /** The paper's number of training steps. */
  trainingSteps: number;
  /** Steps-to-threshold comparison, where the paper gives one. */
  threshold?: Threshold;
  steps?: Record<PaperModel, number>;
  /** The paper's final value (last-10 mean) and which curve it is on. */
  final: { metric: PaperMetric; values: Record<PaperModel, number> };
  /** Something the reader should know when comparing (from the reference doc). */
  note?: string;
}

const below001 = { metric: 'loss', value: 0.01, direction: 'below' } as const;
const accuracy99 = { metric: 'accuracy', value: 0.99, direction: 'atLeast' } as const;

export const PAPER_ROWS: readonly PaperRow[] = [
  {
    label: 'adding T=100',
    task: 'adding',
    length: 100,
    lossUnit: 'MSE',
    trainingSteps: 50_000,
    threshold: below001,
    steps: { rwa: 1_000, lstm: 3_700 },
    final: { metric: 'loss', values: { rwa: 1.8e-6, lstm: 1.6e-5 } },
  },
  {
    label: 'adding T=1000',
    task: 'adding',
    length: 1000,
    lossUnit: 'MSE',
    trainingSteps: 50_000,
    threshold: below001,
    steps: { rwa: 1_600, lstm: 16_800 },
    final: { metric: 'loss', values: { rwa: 3.2e-6, lstm: 7.3e-5 } },
  },
  {
    label: 'copy T=100',
    task: 'copy',
    length: 100,
    variant: 'paper',
    lossUnit: 'bits',
    trainingSteps: 50_000,
    threshold: below001,
    steps: { rwa: 7_600, lstm: 24_100 },
    final: { metric: 'loss', values: { rwa: 4.3e-5, lstm: 6.9e-4 } },
  },
  {
    label: 'copy T=1000',
    task: 'copy',
    length: 1000,
    variant: 'paper',
    lossUnit: 'bits',
    trainingSteps: 50_000,
    threshold: below001,
    steps: { rwa: 8_700, lstm: 49_400 },
    final: { metric: 'loss', values: { rwa: 1.4e-4, lstm: 9.9e-3 } },
    note: 'the paper’s LSTM sits at the memoryless 0.0275 bits for about 30k steps',
  },
  {
    label: 'length T=100',
    task: 'length',
    length: 100,
    variant: 'paper',
    lossUnit: 'bits',
    trainingSteps: 20_000,
    threshold: accuracy99,
    steps: { rwa: 600, lstm: 400 },
    final: { metric: 'accuracy', values: { rwa: 0.992, lstm: 1.0 } },
  },
  {
    label: 'length T=1000',
    task: 'length',
    length: 1000,
    variant: 'paper',
    lossUnit: 'bits',
    trainingSteps: 20_000,
    threshold: accuracy99,
    steps: { rwa: 400, lstm: 2_500 },
    final: { metric: 'accuracy', values: { rwa: 0.996, lstm: 0.996 } },
  },
  {
    label: 'Reber',
    task: 'reber',
    // The longest string (the task's T option).
    length: 50,
    lossUnit: 'bits',
    trainingSteps: 10_000,
    threshold: accuracy99,
    steps: { rwa: 600, lstm: 1_200 },
    final: { metric: 'accuracy', values: { rwa: 0.999, lstm: 1.0 } },
  },
  {
    label: 'MNIST',
    task: 'mnist',
    length: null,
    variant: 'pixels',
    lossUnit: 'bits',
    trainingSteps: 250_000,
    final: { metric: 'accuracy', values: { rwa: 0.9811, lstm: 0.99 } },
  },
  {
    label: 'permuted MNIST',
    task: 'mnist',
    length: null,
    variant: 'permuted',
    lossUnit: 'bits',
    trainingSteps: 250_000,
    final: { metric: 'accuracy', values: { rwa: 0.9354, lstm: 0.9363 } },
  },
];

/** The paper's defaults for every row: what our settings are compared with. */
export const PAPER_SETTINGS = { units: 250, layers: 1, batchSize: 100, learningRate: 0.001, evalEvery: 100 } as const;

/** The paper row for a task and its options, or undefined (a task or length the paper did not run). */
export function paperRowFor(task: string, options: Readonly<Record<string, unknown>>): PaperRow | undefined {
  const length = typeof options.length === 'number' ? options.length : null;
  return PAPER_ROWS.find((r) => {
    if (r.task !== task || r.length !== length) return false;
    // MNIST's rows differ only by variant; elsewhere a different variant is the same row, flagged by the report.
    return r.task !== 'mnist' || r.variant === (options.variant ?? 'pixels');
  });
}
