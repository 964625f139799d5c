/**
 * The numbers behind a curves chart, apart from any drawing (unit-tested in Node): the domains of the
 * axes (log scales keep only positive values), the nearest point to a step for the hover read-out, and
 * the label of the y axis from the metric and the task's loss.
 */
export interface CurveDatum {
  step: number;
  /** The plotted value (smoothed when smoothing is on); null where NaN or infinite. */
  value: number | null;
  /** Extremes of the raw values in the bucket (the band). */
  min: number | null;
  max: number | null;
}

export interface CurveSeries {
  key: string;
  label: string;
  color: string;
  dashed?: boolean;
  points: CurveDatum[];
}

const usable = (v: number | null, log: boolean): v is number => v !== null && Number.isFinite(v) && (!log || v > 0);

/** x: the zoom or the steps' extent; y: the extent of values and band over the visible steps, padded. */
export function curveDomains(
  series: readonly CurveSeries[],
  options: { log: boolean; zoom: [number, number] | null; band: boolean },
): { x: [number, number]; y: [number, number] } | null {
  let x0 = Infinity;
  let x1 = -Infinity;
  for (const s of series)
    for (const p of s.points) {
      if (p.step < x0) x0 = p.step;
      if (p.step > x1) x1 = p.step;
    }
  if (!(x0 <= x1)) return null;
  const x: [number, number] = options.zoom ?? [x0, x1 === x0 ? x0 + 1 : x1];
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series)
    for (const p of s.points) {
      if (p.step < x[0] || p.step > x[1]) continue;
      const candidates = options.band ? [p.value, p.min, p.max] : [p.value];
      for (const v of candidates)
        if (usable(v, options.log)) {
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
    }
  if (!(lo <= hi)) return { x, y: options.log ? [1e-3, 1] : [0, 1] };
  if (options.log) {
    // Half a decade of air on each side, at least one decade in all.
    let a = Math.log10(lo) - 0.1;
    let b = Math.log10(hi) + 0.1;
    if (b - a < 1) {
      const mid = (a + b) / 2;
      a = mid - 0.5;
      b = mid + 0.5;
    }
    return { x, y: [10 ** a, 10 ** b] };
  }
  const pad = hi > lo ? (hi - lo) * 0.05 : Math.abs(hi) * 0.1 || 1;
  return { x, y: [lo - pad, hi + pad] };
}

/** Index of the point whose step is nearest to `step` (points sorted by step), or -1 when there are none. */
export function nearestIndex(points: readonly CurveDatum[], step: number): number {
  if (points.length === 0) return -1;
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.step < step) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && step - points[lo - 1]!.step <= points[lo]!.step - step) return lo - 1;
  return lo;
}

export type LossKind = 'mse' | 'softmax' | 'sigmoid';

/** The loss each task trains with (mirrors src/trainer/tasks; cross-entropies are in bits). */
export const TASK_LOSS: Record<string, LossKind> = {
  adding: 'mse',
  copy: 'softmax',
  mnist: 'softmax',
  length: 'sigmoid',
  reber: 'sigmoid',
};

/** Axis label with units: "MSE", "cross-entropy (bits)", "accuracy", ... */
export function metricLabel(metric: string, tasks: readonly string[]): string {
  if (metric === 'loss') {
    const kinds = new Set<string>(tasks.map((t) => TASK_LOSS[t] ?? 'other'));
    if (kinds.size === 1 && kinds.has('mse')) return 'MSE';
    if (!kinds.has('mse') && !kinds.has('other')) return 'cross-entropy (bits)';
    return 'loss';
  }
  if (metric === 'accuracy') return 'accuracy';
  if (metric === 'grad_norm') return 'gradient norm';
  return metric.replace(/_/g, ' ');
}

/** Log scale by default for losses and gradient norms (they span decades), linear for accuracy. */
export function defaultLog(metric: string): boolean {
  return !/acc/i.test(metric);
}
