/**
 * Curves: the selected runs' test (solid) and train (dashed) curves overlaid, paper logs included when
 * selected; metric, split, scale, smoothing (the server's EMA on the full series) and zoom (the server
 * re-buckets the zoomed range, so zooming shows finer detail). Live runs refresh as they train.
 */
import * as d3 from 'd3';
import { Q, TERMINAL, type Curve, type Run } from '../api.js';
import { defaultLog, metricLabel, type CurveSeries } from '../charts/curve-data.js';
import { curvesChart, formatValue } from '../charts/curves.js';
import type { Store } from '../store.js';
import { debounce, el, notice, runLabel, taskLabel } from '../ui.js';

const COLOURS = [
  '#d1495b',
  '#00798c',
  '#edae49',
  '#30638e',
  '#66a182',
  '#8d6a9f',
  '#2e4057',
  '#e07a5f',
  '#3d405b',
  '#81b29a',
];
/** Paper RWA / LSTM in fixed muted colours, so "ours" and "paper" read apart. */
const PAPER_COLOURS: Record<string, string> = { rwa: '#8c2f39', lstm: '#1d4e59', gru: '#6b5b2e' };

export function colourOf(index: number, run: Run): string {
  return run.source === 'IMPORTED' ? (PAPER_COLOURS[run.model] ?? '#555') : COLOURS[index % COLOURS.length]!;
}

type SeriesInfo = { name: string; split: string; points: number };
type RunWithSeries = Run & { series: SeriesInfo[] };

export function curvesView(root: HTMLElement, store: Store) {
  const metric = el('select', { 'aria-label': 'Metric' });
  const split = el(
    'div',
    { class: 'segmented', role: 'group', 'aria-label': 'Split' },
    ...(['TEST', 'TRAIN', 'BOTH'] as const).map((s) =>
      el('button', { type: 'button', 'data-split': s }, s === 'BOTH' ? 'test + train' : s.toLowerCase()),
    ),
  );
  const scale = el(
    'select',
    { 'aria-label': 'Y scale' },
    el('option', { value: 'auto', text: 'scale: auto' }),
    el('option', { value: 'log', text: 'scale: log' }),
    el('option', { value: 'linear', text: 'scale: linear' }),
  );
  const smooth = el('input', {
    type: 'range',
    min: 0,
    max: 0.99,
    step: 0.01,
    'aria-label': 'Smoothing',
    class: 'smooth',
  });
  const smoothValue = el('output', { class: 'smooth-value' });
  const resetZoom = el('button', { type: 'button', hidden: true }, 'Reset zoom');
  const chartBox = el('div', { class: 'chart-box curves-box' });
  const legend = el('ul', { class: 'legend' });
  const hint = el('p', {
    class: 'hint',
    text: 'Drag across the chart to zoom on steps; double-click to zoom out. Hover for values.',
  });
  root.append(
    el(
      'div',
      { class: 'toolbar' },
      el('label', { class: 'inline' }, 'Metric ', metric),
      split,
      scale,
      el('label', { class: 'inline smooth-label' }, 'Smoothing ', smooth, smoothValue),
      resetZoom,
    ),
    chartBox,
    legend,
    hint,
  );

  metric.addEventListener('change', () => store.set({ metric: metric.value, zoom: null }));
  split.addEventListener('click', (e) => {
    const b = (e.target as HTMLElement).closest('button');
    if (b) store.set({ split: b.dataset.split as 'TEST' | 'TRAIN' | 'BOTH' });
  });
  scale.addEventListener('change', () => store.set({ scale: scale.value as 'auto' | 'log' | 'linear' }));
  const setSmooth = debounce((v: number) => store.set({ smoothing: v }), 120);
  smooth.addEventListener('input', () => {
    smoothValue.textContent = Number(smooth.value).toFixed(2);
    setSmooth(Number(smooth.value));
  });
  resetZoom.addEventListener('click', () => store.set({ zoom: null }));

  let runs: RunWithSeries[] = [];
  let curves: { test: Curve[]; train: Curve[] } | null = null;
  let error: string | null = null;
  let loadedKey = '';
  let runsKey = '';
  let abort: AbortController | null = null;
  let lastLive = 0;

  async function load(force = false) {
    const s = store.state;
    const ids = s.runs;
    const key = JSON.stringify([ids, s.metric, s.split, s.smoothing, s.zoom]);
    if (key === loadedKey && !force) return draw();
    loadedKey = key;
    abort?.abort();
    if (!ids.length) {
      runs = [];
      curves = null;
      return draw();
    }
    abort = new AbortController();
    const signal = abort.signal;
    try {
      if (force || runsKey !== ids.join(',')) {
        const data = await store.api.gql<{ runs: { nodes: RunWithSeries[] } }>(Q.runsByIds, { ids }, signal);
        runs = ids.map((id) => data.runs.nodes.find((r) => r.id === id)).filter((r): r is RunWithSeries => !!r);
        runsKey = ids.join(',');
      }
      const perSplit = s.split === 'BOTH' ? 2 : 1;
      const maxPoints = Math.max(50, Math.min(1000, Math.floor(150_000 / (Math.max(1, ids.length) * perSplit * 9))));
      const data = await store.api.gql<{ test?: Curve[]; train?: Curve[] }>(
        Q.curves,
        {
          ids,
          metric: s.metric,
          maxPoints,
          smoothing: s.smoothing,
          from: s.zoom?.[0] ?? null,
          to: s.zoom?.[1] ?? null,
          test: s.split !== 'TRAIN',
          train: s.split !== 'TEST',
        },
        signal,
      );
      curves = { test: data.test ?? [], train: data.train ?? [] };
      error = null;
    } catch (e) {
      if ((e as Error).name === 'AbortError') return;
      error = (e as Error).message;
      loadedKey = '';
    }
    draw();
  }

  function seriesList(): CurveSeries[] {
    if (!curves) return [];
    const s = store.state;
    const out: CurveSeries[] = [];
    runs.forEach((run, i) => {
      for (const [splitName, list] of [
        ['test', curves!.test],
        ['train', curves!.train],
      ] as const) {
        const c = list.find((x) => x.runId === run.id);
        if (!c || !c.points.length) continue;
        out.push({
          key: `${run.id}-${splitName}`,
          label: `${runLabel(run)}${s.split === 'BOTH' ? ` ${splitName}` : ''}`,
          color: colourOf(i, run),
          dashed: splitName === 'train',
          points: c.points.map((p) => ({
            step: p.step,
            value: s.smoothing > 0 ? p.smoothed : p.value,
            min: p.min,
            max: p.max,
          })),
        });
      }
    });
    // Test curves on top of train curves.
    return out.sort((a, b) => Number(!!b.dashed) - Number(!!a.dashed));
  }

  function draw() {
    const s = store.state;
    // Controls reflect the state.
    const names = new Set(['loss']);
    for (const r of runs) for (const x of r.series) names.add(x.name);
    names.add(s.metric);
    const wanted = [...names].sort((a, b) => (a === 'loss' ? -1 : b === 'loss' ? 1 : a.localeCompare(b)));
    if ([...metric.options].map((o) => o.value).join() !== wanted.join())
      metric.replaceChildren(...wanted.map((n) => el('option', { value: n, text: n.replace(/_/g, ' ') })));
    metric.value = s.metric;
    for (const b of split.querySelectorAll<HTMLButtonElement>('button'))
      b.classList.toggle('active', b.dataset.split === s.split);
    scale.value = s.scale;
    if (document.activeElement !== smooth) smooth.value = String(s.smoothing);
    smoothValue.textContent = s.smoothing.toFixed(2);
    resetZoom.hidden = !s.zoom;

    const width = Math.max(300, Math.floor(chartBox.clientWidth || root.clientWidth || 800));
    const height = width < 560 ? 280 : 400;
    chartBox.style.height = `${height}px`;
    legend.replaceChildren();
    if (!s.runs.length) {
      chartBox.replaceChildren(
        notice(
          'empty',
          'No runs selected.',
          el(
            'p',
            {},
            'Tick runs in the ',
            el('a', { href: '?view=runs', 'data-nav': 'runs' }, 'Runs'),
            ' table and press Compare, or start one in Launch.',
          ),
        ),
      );
      return;
    }
    if (error) {
      const retry = el('button', { type: 'button' }, 'Retry');
      retry.addEventListener('click', () => void load(true));
      chartBox.replaceChildren(notice('error', 'Could not load the curves.', el('p', { text: error }), retry));
      return;
    }
    if (!curves) {
      if (!chartBox.querySelector('svg')) chartBox.replaceChildren(notice('loading', 'Loading curves…'));
      return;
    }
    const series = seriesList();
    const log = s.scale === 'auto' ? defaultLog(s.metric) : s.scale === 'log';
    const svg = curvesChart(series, {
      width,
      height,
      log,
      yLabel: metricLabel(
        s.metric,
        runs.map((r) => r.task),
      ),
      zoom: s.zoom,
      onZoom: (zoom) => store.set({ zoom }),
    });
    chartBox.replaceChildren(svg);
    if (!series.length) {
      const waiting = runs.some((r) => !TERMINAL.has(r.status));
      chartBox.append(
        notice(
          'empty',
          waiting ? 'Waiting for the first points…' : `No ${s.metric.replace(/_/g, ' ')} points in these runs.`,
          waiting ? ' The curves appear after the first evaluation.' : ' Try another metric or split.',
        ),
      );
    }
    runs.forEach((run, i) => {
      const test = curves!.test.find((c) => c.runId === run.id);
      const last = test?.points.at(-1) ?? curves!.train.find((c) => c.runId === run.id)?.points.at(-1);
      legend.append(
        el(
          'li',
          { 'data-run': run.id },
          el('span', { class: 'swatch', style: `background:${colourOf(i, run)}` }),
          el('strong', { text: runLabel(run) }),
          ` ${taskLabel(run)}, ${run.units} units${run.layers > 1 ? ` x ${run.layers}` : ''} · `,
          el('span', { class: `status status-${run.status.toLowerCase()}`, text: run.status.toLowerCase() }),
          last ? ` · latest ${formatValue(last.value)} at step ${d3.format(',')(last.step)}` : '',
        ),
      );
    });
  }

  const onResize = debounce(() => draw(), 100);
  new ResizeObserver(onResize).observe(chartBox);

  return {
    render: () => void load(),
    onChange(change: string, ids?: number[]) {
      if (change === 'view') return void load();
      if (change === 'live' && ids?.some((id) => store.state.runs.includes(id))) {
        // A live run moved: refresh its status and points, at most every 1.5 s.
        const now = Date.now();
        for (const id of ids) {
          const live = store.runs.get(id);
          const run = runs.find((r) => r.id === id);
          if (live && run) Object.assign(run, { status: live.status, currentStep: live.currentStep });
        }
        if (now - lastLive > 1500 || ids.some((id) => TERMINAL.has(store.runs.get(id)?.status ?? ''))) {
          lastLive = now;
          void load(true);
        }
      }
    },
  };
}
