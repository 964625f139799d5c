/**
 * From runs to report rows: groups runs by task (and its options), then by (source, model, layers, units),
 * computes each run's numbers (./metrics.ts), their mean and spread over seeds, and says in plain words
 * where they agree with the paper's (./paper.ts) and where not, with the reasons we can see (fewer steps,
 * other settings). Pure: no database, no files.
 */
import type { RunConfig } from '../trainer/config.js';
import { MODEL_KINDS, type ModelKind } from '../trainer/engines/engine.js';
import { paramLayout } from '../trainer/models/params.js';
import { createTask, TASKS } from '../trainer/tasks/index.js';
import type { OptionSpec, TaskName, TaskOptions } from '../trainer/tasks/task.js';
import { modelSpecFor } from '../trainer/train.js';
import { beyondPaper } from './beyond.js';
import type { RunRecord } from './data.js';
import { finalValue, speed, spread, stepsToThreshold, type Spread, type ThresholdResult } from './metrics.js';
import { PAPER_ROWS, PAPER_SETTINGS, paperRowFor, type PaperModel, type PaperRow, type Threshold } from './paper.js';

export interface RunSummary {
  run: RunRecord;
  /** Trainable parameters (cells and readout); null for a model this version cannot size. */
  params: number | null;
  reach: ThresholdResult | null;
  /** Mean of the last 10 test evaluations of the final metric (the last quarter of a short run; metrics.finalValue). */
  final: number | null;
  steps: number;
  wallSeconds: number | null;
  stepsPerSecond: number | null;
  evalEvery: number | null;
}

export interface ReportRow {
  source: 'TRAINED' | 'IMPORTED';
  model: string;
  layers: number;
  units: number;
  /** e.g. 'RWA', 'LSTM (2 layers)', 'RWA (paper log)'. */
  label: string;
  runs: RunSummary[];
  /** Runs whose trailing median met the threshold, and the spread of their steps. */
  reached: number;
  steps: Spread | null;
  final: Spread | null;
  wallSeconds: Spread | null;
  stepsPerSecond: Spread | null;
  params: Spread | null;
  /** The paper's numbers for this model, when the paper ran it on this task. */
  paperSteps: number | null;
  paperFinal: number | null;
  /** Settings that differ from the paper's, e.g. 'units 8 (paper 250)'. */
  differences: string[];
  /** Plain sentences: agreement on steps and on the final value. */
  verdict: string[];
}

export interface TaskGroup {
  /** Stable id, also the chart file names' stem, e.g. 'adding-T100'. */
  key: string;
  /** e.g. 'adding T=100', 'copy T=100 (variant fixed)'. */
  label: string;
  task: string;
  length: number | null;
  paper: PaperRow | undefined;
  /** The threshold used: the paper's for this task, or its task's when the paper did not run this length. */
  threshold: Threshold | undefined;
  finalMetric: 'loss' | 'accuracy';
  lossUnit: string;
  rows: ReportRow[];
  /** Imported paper logs of this task not among the experiments: reference curves only. */
  reference: RunSummary[];
  /** Plain sentences comparing RWA with LSTM, ours and the paper's, then the answers beyond the paper. */
  sentences: string[];
  /** Beyond the paper (./beyond.ts): depth, attention, RDA and GRU against RWA; also part of sentences. */
  beyond: string[];
}

const MODEL_NAMES: Record<string, string> = {
  rwa: 'RWA',
  lstm: 'LSTM',
  gru: 'GRU',
  rda: 'RDA',
  'lstm-attention': 'LSTM+attention',
};
export const modelName = (model: string) => MODEL_NAMES[model] ?? model.toUpperCase();

/** Steps within this factor of the paper's count as agreeing (test batches of 100 make curves noisy). */
export const STEPS_AGREE_FACTOR = 1.5;
/** Final losses within this factor of the paper's agree (they span orders of magnitude over training). */
export const LOSS_AGREE_FACTOR = 3;
/** Final accuracies within this many percentage points agree. */
export const ACCURACY_AGREE_POINTS = 0.5;

export function taskOptionsOf(run: RunRecord): Record<string, unknown> {
  const options = run.config.taskOptions;
  if (options && typeof options === 'object') return options as Record<string, unknown>;
  return run.length === null ? {} : { length: run.length };
}

/** Options other than T that set a run apart: a variant not the paper's, or another option not its default. */
function distinctOptions(run: RunRecord, paper: PaperRow | undefined): [string, unknown][] {
  const options = taskOptionsOf(run);
  const specs: Record<string, OptionSpec> = TASKS[run.task as TaskName]?.options ?? {};
  return Object.keys(options)
    .sort()
    .filter((key) => {
      if (key === 'length') return false;
      if (key === 'variant' && paper?.variant !== undefined) return options[key] !== paper.variant;
      if (run.task === 'mnist' && key === 'permutationSeed' && options.variant !== 'permuted') return false;
      const spec = specs[key];
      return !spec || typeof spec.default === 'function' || spec.default !== options[key];
    })
    .map((key) => [key, options[key]]);
}

/** e.g. 'adding-T100', 'copy-T100-variant-fixed'. */
function taskKey(run: RunRecord, paper: PaperRow | undefined): string {
  const parts = [run.task];
  if (run.length !== null) parts.push(`T${run.length}`);
  // MNIST's paper rows differ only by variant (pixels, permuted): one group each.
  if (run.task === 'mnist' && paper?.variant !== undefined && paper.variant !== 'pixels') parts.push(paper.variant);
  for (const [key, value] of distinctOptions(run, paper))
    parts.push(`${key}-${String(value)}`.replace(/[^A-Za-z0-9-]/g, ''));
  return parts.join('-');
}

/** e.g. 'adding T=100', 'copy T=100 (variant fixed)'. */
function taskLabel(run: RunRecord, paper: PaperRow | undefined): string {
  const base = paper?.label ?? `${run.task}${run.length === null ? '' : ` T=${run.length}`}`;
  const distinct = distinctOptions(run, paper);
  return distinct.length ? `${base} (${distinct.map(([k, v]) => `${k} ${String(v)}`).join(', ')})` : base;
}

/** The paper's threshold for this task: its row's, or (another length) the same task's. */
function thresholdFor(task: string, paper: PaperRow | undefined): Threshold | undefined {
  return paper?.threshold ?? PAPER_ROWS.find((r) => r.task === task && r.threshold)?.threshold;
}

/** Parameter count of a run's model: cells and readout, from the shared parameter layout. */
export function parameterCount(run: RunRecord): number | null {
  if (!(MODEL_KINDS as readonly string[]).includes(run.model)) return null;
  try {
    const config = run.config as unknown as RunConfig;
    const options = taskOptionsOf(run) as TaskOptions;
    // MNIST's task loads the data set; its sizes are fixed (a pixel per step, 10 classes, one output).
    const task =
      run.task === 'mnist'
        ? { inputSize: 1, outputSize: 10, outputSteps: 1 }
        : createTask(run.task as TaskName, options, 0);
    const spec = modelSpecFor(
      { ...config, model: run.model as ModelKind, layers: run.layers, units: run.units },
      task as never,
    );
    return paramLayout(spec).total;
  } catch {
    return null;
  }
}

export function summarizeRun(
  run: RunRecord,
  threshold: Threshold | undefined,
  finalMetric: 'loss' | 'accuracy',
): RunSummary {
  const curve = threshold ? run.test[threshold.metric] : [];
  const s = speed(run.test.loss.length ? run.test.loss : run.test.accuracy);
  const evalEvery = typeof run.config.evalEvery === 'number' ? run.config.evalEvery : null;
  return {
    run,
    params: parameterCount(run),
    reach: threshold && curve.length ? stepsToThreshold(curve, threshold.value, threshold.direction) : null,
    final: finalValue(run.test[finalMetric]),
    steps: Math.max(s.steps, run.currentStep),
    wallSeconds: s.wallSeconds,
    stepsPerSecond: s.stepsPerSecond,
    evalEvery,
  };
}

/** Settings of a run that differ from the paper's (they explain disagreements). */
export function differencesFromPaper(run: RunRecord, paper: PaperRow | undefined): string[] {
  const c = run.config;
  const out: string[] = [];
  const compare = (name: string, ours: unknown, theirs: unknown) => {
    if (ours !== undefined && ours !== theirs) out.push(`${name} ${String(ours)} (paper ${String(theirs)})`);
  };
  compare('units', run.units, PAPER_SETTINGS.units);
  compare('layers', run.layers, PAPER_SETTINGS.layers);
  compare('batch', c.batchSize, PAPER_SETTINGS.batchSize);
  compare('learning rate', c.learningRate, PAPER_SETTINGS.learningRate);
  compare('evaluated every', c.evalEvery, PAPER_SETTINGS.evalEvery);
  if (c.clipNorm !== undefined && c.clipNorm !== null)
    out.push(`gradient clipping at ${String(c.clipNorm)} (paper none)`);
  if (paper?.variant !== undefined) compare('variant', taskOptionsOf(run).variant, paper.variant);
  if (paper && run.source === 'TRAINED' && run.totalSteps < paper.trainingSteps)
    out.push(`${fmtInt(run.totalSteps)} training steps (paper ${fmtInt(paper.trainingSteps)})`);
  return out;
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A loss in the paper's style (1.8e-6), an accuracy as a percentage. */
export function fmtValue(value: number, metric: 'loss' | 'accuracy'): string {
  if (metric === 'accuracy') return `${Number((value * 100).toFixed(2))}%`;
  if (value === 0) return '0';
  if (value >= 0.01 && value < 1000) return String(Number(value.toPrecision(2)));
  return value.toExponential(1).replace('e+', 'e');
}

function ratioWords(ours: number, theirs: number, sooner: string, later: string): string {
  const r = ours / theirs;
  const times = (x: number) => (x < 10 ? x.toFixed(1) : fmtInt(x));
  return r >= 1 ? `${times(r)}× ${later}` : `${times(1 / r)}× ${sooner}`;
}

function stepsVerdict(row: Omit<ReportRow, 'verdict'>, threshold: Threshold, unit: string): string | null {
  const what = `${threshold.metric === 'accuracy' ? 'accuracy' : unit} ${threshold.direction === 'below' ? '<' : '>='} ${threshold.metric === 'accuracy' ? fmtValue(threshold.value, 'accuracy') : threshold.value}`;
  const n = row.runs.length;
  const longest = Math.max(...row.runs.map((r) => r.steps));
  if (row.paperSteps === null) {
    if (row.reached === 0) return `Never held ${what} in ${fmtInt(longest)} steps.`;
    return null;
  }
  const paper = fmtInt(row.paperSteps);
  if (row.reached === 0) {
    const why =
      longest < row.paperSteps
        ? ` It trained ${fmtInt(longest)} steps, fewer than the paper needed, so this says nothing against it yet.`
        : ` It trained ${fmtInt(longest)} steps, more than the paper needed: a disagreement.`;
    return `${n > 1 ? `None of the ${n} runs held` : 'It never held'} ${what} (paper: ${paper} steps).${why}`;
  }
  const mean = row.steps!.mean;
  const r = mean / row.paperSteps;
  const partial = row.reached < n ? ` (${row.reached} of ${n} runs reached it; the others did not)` : '';
  if (r <= STEPS_AGREE_FACTOR && r >= 1 / STEPS_AGREE_FACTOR)
    return `Steps to ${what} agree with the paper: ${fmtInt(mean)} vs ${paper}${partial}.`;
  return `Steps to ${what} disagree: ${fmtInt(mean)} vs the paper's ${paper}, ${ratioWords(mean, row.paperSteps, 'sooner', 'later')}${partial}.`;
}

function finalVerdict(
  row: Omit<ReportRow, 'verdict'>,
  paper: PaperRow,
  finalMetric: 'loss' | 'accuracy',
): string | null {
  if (row.paperFinal === null || row.final === null) return null;
  const ours = row.final.mean;
  const theirs = row.paperFinal;
  const fmt = (v: number) => fmtValue(v, finalMetric);
  const shortest = Math.min(...row.runs.map((r) => r.steps));
  const short = row.source === 'TRAINED' && shortest < paper.trainingSteps;
  const agrees =
    finalMetric === 'accuracy'
      ? Math.abs(ours - theirs) * 100 <= ACCURACY_AGREE_POINTS
      : ours / theirs <= LOSS_AGREE_FACTOR && theirs / ours <= LOSS_AGREE_FACTOR;
  if (agrees) return `Final ${finalMetric} agrees: ${fmt(ours)} vs ${fmt(theirs)}.`;
  const better = finalMetric === 'accuracy' ? ours > theirs : ours < theirs;
  const how =
    finalMetric === 'accuracy'
      ? `${Math.abs((ours - theirs) * 100).toFixed(1)} points ${better ? 'higher' : 'lower'}`
      : `${ratioWords(ours, theirs, 'lower', 'higher')}`;
  const why =
    short && !better ? `, expected after ${fmtInt(shortest)} of the paper's ${fmtInt(paper.trainingSteps)} steps` : '';
  return `Final ${finalMetric} ${fmt(ours)} vs the paper's ${fmt(theirs)}: ${how}${why}.`;
}

function rowLabel(source: string, model: string, layers: number): string {
  return `${modelName(model)}${layers > 1 ? ` (${layers} layers)` : ''}${source === 'IMPORTED' ? ' (paper log)' : ''}`;
}

function buildRow(
  runs: RunSummary[],
  group: Pick<TaskGroup, 'paper' | 'threshold' | 'finalMetric' | 'lossUnit'>,
): ReportRow {
  const first = runs[0]!.run;
  const paperModel =
    first.layers === 1 && (first.model === 'rwa' || first.model === 'lstm') ? (first.model as PaperModel) : null;
  const reached = runs.filter((r) => r.reach?.step !== null && r.reach?.step !== undefined);
  const differences = [...new Set(runs.flatMap((r) => differencesFromPaper(r.run, group.paper)))];
  const row: Omit<ReportRow, 'verdict'> = {
    source: first.source,
    model: first.model,
    layers: first.layers,
    units: first.units,
    label: rowLabel(first.source, first.model, first.layers),
    runs,
    reached: reached.length,
    steps: spread(reached.map((r) => r.reach!.step)),
    final: spread(runs.map((r) => r.final)),
    wallSeconds: spread(runs.map((r) => r.wallSeconds)),
    stepsPerSecond: spread(runs.map((r) => r.stepsPerSecond)),
    params: spread(runs.map((r) => r.params)),
    paperSteps: paperModel && group.paper?.steps ? group.paper.steps[paperModel] : null,
    paperFinal: paperModel && group.paper ? group.paper.final.values[paperModel] : null,
    differences,
  };
  const verdict: string[] = [];
  if (group.threshold) {
    const v = stepsVerdict(row, group.threshold, group.lossUnit);
    if (v) verdict.push(v);
    const left = runs.filter(
      (r) => r.reach?.step !== null && r.reach?.step !== undefined && r.reach.holdsFrom !== r.reach.step,
    );
    for (const r of left)
      verdict.push(
        `Run ${r.run.id} crossed at step ${fmtInt(r.reach!.step!)} but its median went back later; ${r.reach!.holdsFrom === null ? 'it did not hold at the end' : `it holds from step ${fmtInt(r.reach!.holdsFrom)}`}.`,
      );
  }
  if (group.paper) {
    const v = finalVerdict(row, group.paper, group.finalMetric);
    if (v) verdict.push(v);
  }
  if (row.source === 'TRAINED' && !group.paper) verdict.push('The paper did not run this task setting.');
  else if (row.source === 'TRAINED' && paperModel === null) verdict.push('Not in the paper.');
  const failed = runs.filter((r) => r.run.status !== 'SUCCEEDED');
  if (failed.length)
    verdict.push(
      `${failed.map((r) => `run ${r.run.id} ${r.run.status.toLowerCase()} at step ${fmtInt(r.steps)}`).join('; ')}.`,
    );
  return { ...row, verdict };
}

const MODEL_ORDER = ['rwa', 'lstm', 'gru', 'rda', 'lstm-attention'];
const modelRank = (m: string) => (MODEL_ORDER.includes(m) ? MODEL_ORDER.indexOf(m) : MODEL_ORDER.length);

function compareModels(group: TaskGroup): string[] {
  const t = group.threshold;
  if (!t) return [];
  const pick = (source: string, model: string) =>
    group.rows.find((r) => r.source === source && r.model === model && r.layers === 1);
  const rwa = pick('TRAINED', 'rwa');
  const lstm = pick('TRAINED', 'lstm');
  if (!rwa || !lstm) return [];
  const stepsOf = (r: ReportRow) => (r.reached === r.runs.length && r.steps ? r.steps.mean : null);
  const ours = [stepsOf(rwa), stepsOf(lstm)] as const;
  const paper = group.paper?.steps;
  const paperText = paper
    ? `the paper: RWA ${fmtInt(paper.rwa)} vs LSTM ${fmtInt(paper.lstm)} (RWA ${ratioWords(paper.rwa, paper.lstm, 'sooner', 'later')})`
    : null;
  let oursText: string;
  let oursFaster: boolean | null;
  if (ours[0] !== null && ours[1] !== null) {
    oursText = `RWA ${fmtInt(ours[0])} vs LSTM ${fmtInt(ours[1])} steps (RWA ${ratioWords(ours[0], ours[1], 'sooner', 'later')})`;
    oursFaster = ours[0] < ours[1] ? true : ours[0] > ours[1] ? false : null;
  } else if (ours[0] !== null) {
    oursText = `RWA held under it at ${fmtInt(ours[0])} steps; LSTM did not in every run`;
    oursFaster = true;
  } else if (ours[1] !== null) {
    oursText = `LSTM held under it at ${fmtInt(ours[1])} steps; RWA did not in every run`;
    oursFaster = false;
  } else {
    return [`Neither RWA nor LSTM held the threshold in every run${paperText ? `; ${paperText}` : ''}.`];
  }
  if (!paper) return [`Ours: ${oursText}.`];
  const paperFaster = paper.rwa < paper.lstm;
  const agreement =
    oursFaster === null
      ? 'a tie, where the paper has an order'
      : oursFaster === paperFaster
        ? 'the order agrees'
        : 'the order is reversed';
  return [`Steps to threshold, ours: ${oursText}; ${paperText}: ${agreement}.`];
}

/** The report's groups, in the paper's task order, then others by name. */
export function buildReport(runs: readonly RunRecord[], reference: readonly RunRecord[] = []): TaskGroup[] {
  const groups = new Map<string, TaskGroup & { members: RunRecord[] }>();
  for (const run of runs) {
    const paper = paperRowFor(run.task, taskOptionsOf(run));
    const key = taskKey(run, paper);
    let g = groups.get(key);
    if (!g) {
      const threshold = thresholdFor(run.task, paper);
      const accuracyTask = run.test.accuracy.length > 0 && (paper?.final.metric ?? threshold?.metric) === 'accuracy';
      g = {
        key,
        label: taskLabel(run, paper),
        task: run.task,
        length: run.length,
        paper,
        threshold,
        finalMetric: accuracyTask ? 'accuracy' : 'loss',
        lossUnit: paper?.lossUnit ?? (run.task === 'adding' ? 'MSE' : 'bits'),
        rows: [],
        reference: [],
        sentences: [],
        beyond: [],
        members: [],
      };
      groups.set(key, g);
    }
    g.members.push(run);
  }
  const out: TaskGroup[] = [];
  for (const g of groups.values()) {
    const byRow = new Map<string, RunSummary[]>();
    for (const run of g.members) {
      const k = `${run.source}|${run.model}|${run.layers}|${run.units}`;
      byRow.set(k, [...(byRow.get(k) ?? []), summarizeRun(run, g.threshold, g.finalMetric)]);
    }
    g.rows = [...byRow.values()]
      .map((rs) => buildRow(rs, g))
      .sort(
        (a, b) =>
          (a.source === b.source ? 0 : a.source === 'TRAINED' ? -1 : 1) ||
          modelRank(a.model) - modelRank(b.model) ||
          a.model.localeCompare(b.model) ||
          a.layers - b.layers ||
          a.units - b.units,
      );
    g.reference = reference
      .filter((r) => r.task === g.task && r.length === g.length && !g.members.some((m) => m.id === r.id))
      .sort((a, b) => modelRank(a.model) - modelRank(b.model) || a.id - b.id)
      .map((r) => summarizeRun(r, g.threshold, g.finalMetric));
    g.beyond = beyondPaper(g);
    g.sentences = [...compareModels(g), ...g.beyond];
    const { members: _members, ...group } = g;
    out.push(group);
  }
  const rank = (g: TaskGroup) => (g.paper ? PAPER_ROWS.indexOf(g.paper) : PAPER_ROWS.length);
  return out.sort((a, b) => rank(a) - rank(b) || a.key.localeCompare(b.key));
}
