/**
 * The charts of one task group: its test loss (log scale) and, for classification tasks, its test accuracy;
 * our runs solid, the paper authors' logs dashed, RWA vs LSTM (and any other model) by colour.
 */
import * as d3 from 'd3';
import { modelName, type RunSummary, type TaskGroup } from '../summary.js';
import { fmtInt } from '../summary.js';
import { curvesChart, type ChartSeries } from './curves.js';
import { trailingMedians } from '../metrics.js';

export interface ChartFile {
  /** File name within the report folder, e.g. 'adding-T100-loss.svg'. */
  file: string;
  title: string;
  svg: string;
}

const MODEL_COLOURS: Record<string, string> = {
  rwa: '#d62728',
  lstm: '#1f77b4',
  gru: '#2ca02c',
  rda: '#9467bd',
  'lstm-attention': '#17becf',
};

function colourOf(model: string, layers: number): string {
  const base = MODEL_COLOURS[model] ?? d3.schemeTableau10[[...model].reduce((a, c) => a + c.charCodeAt(0), 0) % 10]!;
  return layers > 1
    ? (d3
        .color(base)
        ?.darker(layers - 1)
        .formatHex() ?? base)
    : base;
}

/** `median`: plot the trailing median of 5 (what the threshold is judged on) instead of raw evaluations. */
function seriesOf(
  runs: readonly RunSummary[],
  metric: 'loss' | 'accuracy',
  markThreshold: boolean,
  median = false,
): ChartSeries[] {
  return runs
    .filter((r) => r.run.test[metric].length > 0)
    .map((r) => {
      const imported = r.run.source === 'IMPORTED';
      const series: ChartSeries = {
        label: `${modelName(r.run.model)}${r.run.layers > 1 ? ` ×${r.run.layers}` : ''} (${imported ? 'paper log' : 'ours'})`,
        colour: colourOf(r.run.model, r.run.layers),
        dashed: imported,
        points: median ? trailingMedians(r.run.test[metric], 'atLeast') : r.run.test[metric],
      };
      if (markThreshold && !imported && r.reach?.step != null && r.reach.median !== null)
        series.marker = { step: r.reach.step, value: r.reach.median };
      return series;
    });
}

export function taskCharts(group: TaskGroup): ChartFile[] {
  const all = [...group.rows.flatMap((row) => row.runs), ...group.reference];
  const ours = all.filter((r) => r.run.source === 'TRAINED');
  const oursMax = ours.length ? Math.max(...ours.map((r) => r.steps)) : undefined;
  const longest = Math.max(0, ...all.map((r) => r.steps));
  const note =
    oursMax !== undefined && longest > oursMax
      ? `Paper logs shown up to step ${fmtInt(oursMax)} (of ${fmtInt(longest)}), the length of our runs.`
      : undefined;
  const t = group.threshold;
  const charts: ChartFile[] = [];
  const lossTitle = `${group.label}: test loss (${group.lossUnit})`;
  charts.push({
    file: `${group.key}-loss.svg`,
    title: lossTitle,
    svg: curvesChart({
      title: lossTitle,
      yLabel: `test ${group.lossUnit}, log scale`,
      log: true,
      series: seriesOf(all, 'loss', t?.metric === 'loss'),
      ...(t?.metric === 'loss' ? { threshold: { value: t.value, label: `threshold ${t.value}` } } : {}),
      ...(oursMax !== undefined ? { xMax: oursMax } : {}),
      ...(note ? { note } : {}),
    }),
  });
  if (
    all.some((r) => r.run.test.accuracy.length > 0) &&
    (t?.metric === 'accuracy' || group.finalMetric === 'accuracy')
  ) {
    // Accuracy on 100 test sequences moves in 1% steps: the trailing median makes the curves readable.
    const title = `${group.label}: test accuracy, median of the last 5 evaluations`;
    const series = seriesOf(all, 'accuracy', t?.metric === 'accuracy', true);
    // Accuracy climbs from chance to ~100% within a few hundred steps: show where it spends its time.
    const values = series.flatMap((s) => s.points.map((p) => p.value)).filter(Number.isFinite);
    const q = d3.quantile(values, 0.05);
    const lo = q === undefined ? 0 : Math.floor(Math.min(q, (t?.value ?? 1) - 0.01) * 20) / 20;
    charts.push({
      file: `${group.key}-accuracy.svg`,
      title,
      svg: curvesChart({
        title,
        yLabel: 'test accuracy',
        log: false,
        series,
        yDomain: [Math.max(0, lo), 1],
        percent: true,
        ...(t?.metric === 'accuracy' ? { threshold: { value: t.value, label: `threshold ${t.value * 100}%` } } : {}),
        ...(oursMax !== undefined ? { xMax: oursMax } : {}),
        ...(note ? { note } : {}),
      }),
    });
  }
  return charts;
}
