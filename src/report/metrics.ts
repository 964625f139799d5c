/**
 * The numbers a reproduction report compares, as pure functions of a test curve (points in step order).
 *
 * Terminology
 * - evaluation: one test point (step, value); the paper's runs evaluate every 100 steps, ours every evalEvery.
 * - trailing median at evaluation i: the median of the MEDIAN_WINDOW (5) evaluations i-4..i, defined only
 *   from the 5th evaluation on (a shorter window would let one lucky test batch count).
 * - meets: loss < threshold ('below'), or accuracy >= threshold ('atLeast').
 * - steps to threshold ("first holds"): the step of the first evaluation whose trailing median meets the
 *   threshold, i.e. the first step at which at least 3 of the last 5 evaluations met it. Recomputed from the
 *   authors' logs, this reproduces all 14 numbers of the reference table (test/report.paper-logs.test.ts);
 *   "from which it stays" would not: the median of the paper's length and copy-LSTM runs dips back later.
 * - holds from: the first evaluation from which the trailing median meets the threshold at every later
 *   evaluation (null when the last one does not), reported beside it when the two differ.
 * - final value: the mean of the last FINAL_WINDOW (10) evaluations, as the paper's table, but of at most the
 *   last quarter of a short run's evaluations (see finalValue).
 * Non-finite values (a diverged run) count as failing: +Infinity for a loss, -Infinity for an accuracy.
 */

export interface Point {
  step: number;
  value: number;
  /** Seconds since the run started, where known. */
  wallTime?: number;
}

export type Direction = 'below' | 'atLeast';

export const MEDIAN_WINDOW = 5;
export const FINAL_WINDOW = 10;

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function meets(value: number, threshold: number, direction: Direction): boolean {
  return direction === 'below' ? value < threshold : value >= threshold;
}

function worstIfNotFinite(value: number, direction: Direction): number {
  if (Number.isFinite(value)) return value;
  return direction === 'below' ? Infinity : -Infinity;
}

/** One point per evaluation from the window-th on: (step of the window's last evaluation, median). */
export function trailingMedians(points: readonly Point[], direction: Direction, window = MEDIAN_WINDOW): Point[] {
  const values = points.map((p) => worstIfNotFinite(p.value, direction));
  const out: Point[] = [];
  for (let i = window - 1; i < points.length; i++) {
    const p = points[i]!;
    out.push({ step: p.step, value: median(values.slice(i - window + 1, i + 1)), wallTime: p.wallTime });
  }
  return out;
}

export interface ThresholdResult {
  /** Steps to threshold: the first evaluation whose trailing median meets it; null: never. */
  step: number | null;
  /** Seconds since the start at that evaluation, where the curve has wall times. */
  wallTime: number | null;
  /** The trailing median there. */
  median: number | null;
  /** First evaluation from which every later trailing median meets it; null when the last does not. */
  holdsFrom: number | null;
}

export function stepsToThreshold(
  points: readonly Point[],
  threshold: number,
  direction: Direction,
  window = MEDIAN_WINDOW,
): ThresholdResult {
  const medians = trailingMedians(points, direction, window);
  const first = medians.find((m) => meets(m.value, threshold, direction));
  let holdsFrom: number | null = null;
  for (let i = medians.length - 1; i >= 0 && meets(medians[i]!.value, threshold, direction); i--)
    holdsFrom = medians[i]!.step;
  return {
    step: first?.step ?? null,
    wallTime: first?.wallTime !== undefined && first.wallTime > 0 ? first.wallTime : null,
    median: first?.value ?? null,
    holdsFrom,
  };
}

/**
 * Mean of the last `count` evaluations, but of no more than the last quarter of the curve (at least one), so a
 * short run's "final" is its end and not mostly its start: 11 evaluations (1,000 steps) give the last 2; the
 * paper's runs (hundreds of evaluations) the last 10. Null for an empty curve.
 */
export function finalValue(points: readonly Point[], count = FINAL_WINDOW): number | null {
  if (points.length === 0) return null;
  const window = Math.max(1, Math.min(count, Math.floor(points.length / 4)));
  const tail = points.slice(-window).map((p) => p.value);
  return tail.reduce((a, b) => a + b, 0) / tail.length;
}

export interface Speed {
  /** Last recorded step. */
  steps: number;
  /** Seconds from the start to the last recorded point; null when the curve has no wall times (imports). */
  wallSeconds: number | null;
  stepsPerSecond: number | null;
}

/** Training speed from any curve of a run (the latest point's step and wall time). */
export function speed(points: readonly Point[]): Speed {
  const last = points.at(-1);
  if (!last) return { steps: 0, wallSeconds: null, stepsPerSecond: null };
  const wall = last.wallTime !== undefined && last.wallTime > 0 ? last.wallTime : null;
  return { steps: last.step, wallSeconds: wall, stepsPerSecond: wall === null ? null : last.step / wall };
}

export interface Spread {
  n: number;
  mean: number;
  /** Sample standard deviation (0 for one value). */
  sd: number;
  min: number;
  max: number;
}

/** Mean and spread of the finite values; null when there are none. */
export function spread(values: readonly (number | null)[]): Spread | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (xs.length === 0) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.length > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1) : 0;
  return { n: xs.length, mean, sd: Math.sqrt(variance), min: Math.min(...xs), max: Math.max(...xs) };
}
