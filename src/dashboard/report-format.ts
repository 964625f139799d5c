/**
 * The report's numbers as text, exactly as the Markdown report writes them (a copy of fmtInt and fmtValue
 * in src/report/summary.ts and of fmtDuration, fmtSpread and the steps cell in src/report/markdown.ts: the
 * dashboard cannot import those, they pull in trainer code; test/dashboard.charts.test.ts checks the copy
 * against the originals).
 */

export interface Spread {
  n: number;
  mean: number;
  sd: number;
  min: number;
  max: number;
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A loss in the paper's style (1.8e-6), an accuracy as a percentage. */
export function fmtValue(value: number, metric: 'loss' | 'accuracy' | string): string {
  if (metric === 'accuracy') return `${Number((value * 100).toFixed(2))}%`;
  if (value === 0) return '0';
  if (value >= 0.01 && value < 1000) return String(Number(value.toPrecision(2)));
  return value.toExponential(1).replace('e+', 'e');
}

export function fmtDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export const fmtSpeed = (v: number) => v.toFixed(v < 10 ? 2 : 1);

/** One value, or mean ± sd (min–max, n) over several runs. */
export function fmtSpread(s: Spread | null, fmt: (v: number) => string): string {
  if (!s) return '—';
  if (s.n === 1 || s.min === s.max) return fmt(s.mean);
  return `${fmt(s.mean)} ± ${fmt(s.sd)} (${fmt(s.min)}–${fmt(s.max)}, n=${s.n})`;
}

/** Steps to threshold of a row: the spread, "never (N steps)", or how many runs never reached it. */
export function stepsCell(row: { runs: number; reached: number; longestSteps: number; steps: Spread | null }): string {
  if (row.reached === 0) return `never (${fmtInt(row.longestSteps)} steps)`;
  const text = fmtSpread(row.steps, fmtInt);
  return row.reached < row.runs ? `${text}; ${row.runs - row.reached} of ${row.runs} never` : text;
}
