/**
 * Hidden states: one test sample's h_t (time down, units across) at a training step, decoded in the
 * browser from the stored codec bytes, with the task's events marked, a colour legend, a step slider (and
 * play) to watch the states form over training, sortable units and a (t, unit, value) read-out.
 */
import * as d3 from 'd3';
import { Q, TERMINAL, type Run, type Snapshot } from '../api.js';
import { colourScale, symmetricDomain } from '../charts/colour.js';
import { heatmapChart } from '../charts/heatmap.js';
import { colourLegend } from '../charts/legend.js';
import { taskMarkers } from '../charts/markers.js';
import { unitOrder } from '../charts/unit-order.js';
import { base64ToBytes, decodeHidden } from '../codec/decode.js';
import type { UnitOrder } from '../state.js';
import type { Store } from '../store.js';
import { el, notice, runLabel, taskLabel } from '../ui.js';

interface Decoded {
  snapshot: Snapshot;
  h: Float32Array;
  samples: number[];
}

const ORDER_LABELS: Record<UnitOrder, string> = {
  index: 'units by index',
  change: 'units by time of largest change',
  peak: 'units by time of largest |h|',
  mean: 'units by mean value',
};

export function statesView(root: HTMLElement, store: Store) {
  const runSelect = el('select', { 'aria-label': 'Run' });
  const slider = el('input', {
    type: 'range',
    min: 0,
    max: 0,
    step: 1,
    value: 0,
    'aria-label': 'Training step',
    class: 'step-slider',
  });
  const stepLabel = el('output', { class: 'step-value' });
  const play = el('button', { type: 'button', title: 'Play the steps' }, '▶');
  const sample = el('select', { 'aria-label': 'Test sample' });
  const order = el(
    'select',
    { 'aria-label': 'Unit order' },
    ...(Object.keys(ORDER_LABELS) as UnitOrder[]).map((k) => el('option', { value: k, text: ORDER_LABELS[k] })),
  );
  const chartBox = el('div', { class: 'chart-box heatmap-box' });
  const side = el('aside', { class: 'heatmap-side' });
  const readout = el('div', { class: 'readout-line', 'aria-live': 'polite' });
  root.append(
    el(
      'div',
      { class: 'toolbar' },
      el('label', { class: 'inline' }, 'Run ', runSelect),
      el('label', { class: 'inline step-label' }, 'Step ', slider, stepLabel),
      play,
      el('label', { class: 'inline' }, 'Sample ', sample),
      order,
    ),
    el('div', { class: 'heatmap-layout' }, chartBox, side),
  );

  runSelect.addEventListener('change', () => store.set({ stateRun: Number(runSelect.value), step: null }));
  slider.addEventListener('input', () => {
    const step = steps[Number(slider.value)];
    stepLabel.textContent = step === undefined ? '' : d3.format(',')(step);
    if (step !== undefined) store.set({ step });
  });
  sample.addEventListener('change', () => store.set({ sample: Number(sample.value) }));
  order.addEventListener('change', () => store.set({ units: order.value as UnitOrder }));
  let playing: ReturnType<typeof setInterval> | null = null;
  const stop = () => {
    if (playing) clearInterval(playing);
    playing = null;
    play.textContent = '▶';
  };
  play.addEventListener('click', () => {
    if (playing) return stop();
    play.textContent = '❚❚';
    let i = store.state.step === null || Number(slider.value) >= steps.length - 1 ? 0 : Number(slider.value);
    playing = setInterval(() => {
      if (i >= steps.length || store.state.view !== 'states') return stop();
      store.set({ step: steps[i++]! });
    }, 600);
  });

  let steps: number[] = [];
  let run: Run | null = null;
  let current: Decoded | null = null;
  let error: string | null = null;
  let loading = false;
  const cache = new Map<string, Decoded>();
  let indexKey = '';
  let want = '';

  const runChoices = (): number[] => {
    const s = store.state;
    if (s.runs.length) return s.runs;
    return [...store.runs.keys()].sort((a, b) => b - a).slice(0, 50);
  };
  const shownRun = (): number | null => {
    const s = store.state;
    if (s.stateRun !== null) return s.stateRun;
    return runChoices()[0] ?? null;
  };

  async function load(force = false) {
    const id = shownRun();
    error = null;
    if (id === null) {
      current = null;
      return draw();
    }
    try {
      if (force || indexKey !== String(id)) {
        const data = await store.api.gql<{ run: { id: number; snapshotSteps: number[] } | null }>(Q.snapshotIndex, {
          id,
        });
        if (!data.run) throw new Error(`Run ${id} does not exist (or this link does not include it).`);
        steps = data.run.snapshotSteps;
        indexKey = String(id);
        run = store.runs.get(id) ?? (await fetchRun(id));
      }
      const s = store.state;
      const step = s.step !== null && steps.includes(s.step) ? s.step : (steps.at(-1) ?? null);
      if (step === null) {
        current = null;
        return draw();
      }
      const key = `${id}:${step}:${s.sample}`;
      want = key;
      let decoded = cache.get(key);
      if (!decoded) {
        loading = true;
        drawStatus();
        const data = await store.api.gql<{ run: { states: { sample: number }[]; stateSnapshot: Snapshot | null } }>(
          Q.snapshot,
          {
            id,
            step,
            sample: s.sample,
          },
        );
        const snap = data.run.stateSnapshot;
        if (!snap) throw new Error(`Run ${id} has no snapshot of sample ${s.sample} at step ${step}.`);
        const h = await decodeHidden(snap.codec, snap.codecParams, base64ToBytes(snap.dataBase64));
        decoded = { snapshot: snap, h, samples: data.run.states.map((x) => x.sample) };
        cache.set(key, decoded);
        if (cache.size > 40) cache.delete(cache.keys().next().value!);
      }
      if (want !== key) return;
      current = decoded;
    } catch (e) {
      error = (e as Error).message;
      current = null;
    } finally {
      loading = false;
    }
    draw();
  }

  async function fetchRun(id: number): Promise<Run | null> {
    const data = await store.api.gql<{ runs: { nodes: Run[] } }>(Q.runsByIds, { ids: [id] });
    return data.runs.nodes[0] ?? null;
  }

  function drawStatus() {
    chartBox.classList.toggle('busy', loading);
  }

  function draw() {
    drawStatus();
    const s = store.state;
    const id = shownRun();
    const choices = runChoices();
    if (id !== null && !choices.includes(id)) choices.unshift(id);
    runSelect.replaceChildren(
      ...choices.map((r) => {
        const known = store.runs.get(r) ?? (run?.id === r ? run : null);
        return el('option', { value: r, text: known ? `${runLabel(known)} · ${taskLabel(known)}` : `#${r}` });
      }),
    );
    if (id !== null) runSelect.value = String(id);
    order.value = s.units;
    slider.max = String(Math.max(0, steps.length - 1));
    const idx = current ? steps.indexOf(current.snapshot.step) : -1;
    if (idx >= 0) slider.value = String(idx);
    slider.disabled = steps.length < 2;
    stepLabel.textContent = current ? d3.format(',')(current.snapshot.step) : '';
    const samples = current?.samples ?? [s.sample];
    sample.replaceChildren(...samples.map((n) => el('option', { value: n, text: String(n) })));
    sample.value = String(s.sample);

    const width = Math.max(300, Math.min(820, Math.floor(chartBox.clientWidth || 600)));
    const height = width < 500 ? 420 : 560;
    chartBox.style.height = `${height}px`;
    if (id === null) {
      chartBox.replaceChildren(
        notice(
          'empty',
          'No run to show.',
          el('p', {}, 'Select a run in the ', el('a', { href: '?view=runs', 'data-nav': 'runs' }, 'Runs'), ' table.'),
        ),
      );
      side.replaceChildren();
      return;
    }
    if (error) {
      chartBox.replaceChildren(notice('error', 'Could not show the hidden states.', el('p', { text: error })));
      side.replaceChildren();
      return;
    }
    if (!current) {
      const live = run && !TERMINAL.has(run.status);
      chartBox.replaceChildren(
        loading || !indexKey
          ? notice('loading', 'Loading hidden states…')
          : notice(
              'empty',
              live ? 'No snapshot yet.' : 'This run has no hidden-state snapshots.',
              live ? ' The first appears at the first evaluation.' : ' Runs record them when snapshotSamples > 0.',
            ),
      );
      side.replaceChildren();
      return;
    }
    const { snapshot: snap, h } = current;
    const T = snap.timeSteps;
    const N = snap.units;
    const colour = colourScale(symmetricDomain(h));
    const markers = taskMarkers(run?.task ?? '', snap.events, T);
    const chart = heatmapChart(
      { h, T, N, order: unitOrder(h, T, N, s.units), markers },
      {
        width,
        height,
        colour,
        unitLabel: s.units === 'index' ? 'unit' : ORDER_LABELS[s.units],
        onHover: (cell) => {
          readout.textContent = cell
            ? `t = ${cell.t}, unit ${cell.unit}: h = ${cell.value.toFixed(3)}`
            : 'Hover the heatmap for values.';
        },
      },
    );
    chartBox.replaceChildren(chart);
    readout.textContent = 'Hover the heatmap for values.';
    const ev = snap.events ?? {};
    const fmt = (v: unknown) =>
      Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? +x.toFixed(4) : x)).join(', ') : String(v);
    side.replaceChildren(
      el('h3', { text: run ? `${runLabel(run)} · ${taskLabel(run)}` : `Run ${snap.step}` }),
      el('p', {
        class: 'meta',
        text: `step ${d3.format(',')(snap.step)} · sample ${snap.sample} · layer ${snap.layer} · ${T} x ${N}`,
      }),
      colourLegend(colour, { width: Math.min(260, Math.max(160, side.clientWidth || 220)), title: 'h (hidden state)' }),
      readout,
      el(
        'dl',
        { class: 'events' },
        ...(['target', 'prediction', 'values', 'label', 'length', 'symbols'] as const)
          .filter((k) => ev[k] !== undefined)
          .flatMap((k) => [el('dt', { text: k }), el('dd', { text: fmt(ev[k]) })]),
      ),
      markers.length
        ? el(
            'ul',
            { class: 'marker-list' },
            ...markers.map((mk) => el('li', { class: `marker ${mk.kind}`, text: `t = ${mk.t}: ${mk.label}` })),
          )
        : '',
    );
  }

  const resize = new ResizeObserver(() => {
    if (
      current &&
      chartBox.firstElementChild &&
      Math.abs(chartBox.clientWidth - (chartBox.firstElementChild as HTMLElement).offsetWidth) > 40
    )
      draw();
  });
  resize.observe(chartBox);

  let lastLive = 0;
  return {
    render: () => void load(),
    onChange(change: string, ids?: number[]) {
      if (change === 'view') return void load();
      const id = shownRun();
      if (change === 'live' && id !== null && ids?.includes(id) && Date.now() - lastLive > 2000) {
        lastLive = Date.now();
        const live = store.runs.get(id);
        if (live && run) Object.assign(run, { status: live.status });
        void load(true);
      }
    },
  };
}
