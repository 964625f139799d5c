/** The dashboard's pure functions, in Node: URL state, curve domains and labels, unit order, task markers, launch checks, the Report view's number formatting. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { curveDomains, metricLabel, nearestIndex, type CurveSeries } from '../src/dashboard/charts/curve-data.js';
import { taskMarkers } from '../src/dashboard/charts/markers.js';
import { unitOrder } from '../src/dashboard/charts/unit-order.js';
import { DEFAULT_VIEW, decodeView, encodeView, type ViewState } from '../src/dashboard/state.js';
import { validateLaunch, DEMO } from '../src/dashboard/launch-input.js';
import * as copy from '../src/dashboard/report-format.js';
import { fmtDuration, fmtSpread } from '../src/report/markdown.js';
import { spread } from '../src/report/metrics.js';
import { fmtInt, fmtValue } from '../src/report/summary.js';

test('a view survives its URL encoding, and defaults encode to nothing', () => {
  assert.equal(encodeView(DEFAULT_VIEW), '');
  const view: ViewState = {
    view: 'states',
    runs: [3, 4, 12],
    metric: 'accuracy',
    split: 'TRAIN',
    smoothing: 0.6,
    scale: 'linear',
    zoom: [100, 2500],
    stateRun: 4,
    step: 2000,
    sample: 2,
    units: 'change',
    filter: 'rwa adding',
    sort: '-best',
    experiments: ['reproduce quick: adding T=100', 'a, b & c?'],
    paperLogs: true,
  };
  const search = encodeView(view);
  assert.match(search, /runs=3,4,12/);
  assert.match(search, /exp=reproduce\+quick%3A\+adding\+T%3D100&exp=a,\+b\+%26\+c%3F&plogs=1/);
  assert.deepEqual(decodeView(search), view);
});

test('bad URL values decode to the defaults instead of breaking the page', () => {
  const v = decodeView('?view=nope&runs=1,x,-2,1,5&smooth=2&zoom=9-3&step=abc&metric=%3Cscript%3E&units=zz&sort=;drop');
  assert.equal(v.view, 'runs');
  assert.deepEqual(v.runs, [1, 5]);
  assert.equal(v.smoothing, 0);
  assert.equal(v.zoom, null);
  assert.equal(v.step, null);
  assert.equal(v.metric, 'loss');
  assert.equal(v.units, 'index');
  assert.equal(v.sort, '-id');
});

const series = (values: (number | null)[], band = 0): CurveSeries => ({
  key: 'a',
  label: 'a',
  color: '#000',
  points: values.map((v, i) => ({
    step: (i + 1) * 10,
    value: v,
    min: v === null ? null : v - band,
    max: v === null ? null : v + band,
  })),
});

test('log-scale domains keep only positive values and span at least a decade', () => {
  const d = curveDomains([series([0.2, 0.01, 0, -1, null, 0.001])], { log: true, zoom: null, band: false })!;
  assert.deepEqual(d.x, [10, 60]);
  assert.ok(d.y[0] > 0 && d.y[0] < 0.001 && d.y[1] > 0.2, `y domain ${d.y}`);
  const flat = curveDomains([series([0.5, 0.5])], { log: true, zoom: null, band: false })!;
  assert.ok(Math.log10(flat.y[1]) - Math.log10(flat.y[0]) >= 1 - 1e-9);
});

test('linear domains include the band and follow the zoom', () => {
  const d = curveDomains([series([1, 2, 3, 4], 0.5)], { log: false, zoom: [20, 30], band: true })!;
  assert.deepEqual(d.x, [20, 30]);
  assert.ok(d.y[0] < 1.5 && d.y[0] > 1 && d.y[1] > 3.5 && d.y[1] < 4, `y domain ${d.y}`);
  assert.equal(curveDomains([], { log: false, zoom: null, band: true }), null);
});

test('the hover read-out finds the nearest step', () => {
  const pts = series([1, 2, 3, 4]).points;
  assert.equal(nearestIndex(pts, 0), 0);
  assert.equal(nearestIndex(pts, 24), 1);
  assert.equal(nearestIndex(pts, 26), 2);
  assert.equal(nearestIndex(pts, 99), 3);
  assert.equal(nearestIndex([], 5), -1);
});

test('axis labels carry the unit of the metric', () => {
  assert.equal(metricLabel('loss', ['adding']), 'MSE');
  assert.equal(metricLabel('loss', ['copy', 'length']), 'cross-entropy (bits)');
  assert.equal(metricLabel('loss', ['adding', 'copy']), 'loss');
  assert.equal(metricLabel('accuracy', ['length']), 'accuracy');
  assert.equal(metricLabel('grad_norm', ['adding']), 'gradient norm');
});

test('units sort by the time of their largest change', () => {
  // T = 4, N = 3: unit 0 jumps at t=3, unit 1 at t=1, unit 2 at t=2.
  const h = new Float32Array([0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1, 1]);
  assert.deepEqual([...unitOrder(h, 4, 3, 'change')], [1, 2, 0]);
  assert.deepEqual([...unitOrder(h, 4, 3, 'index')], [0, 1, 2]);
  assert.deepEqual([...unitOrder(h, 4, 3, 'mean')], [1, 2, 0]);
});

test('task events become heatmap markers', () => {
  assert.deepEqual(
    taskMarkers('adding', { markers: [12, 3], values: [0.1, 0.2] }, 20).map((m) => m.t),
    [3, 12],
  );
  assert.deepEqual(
    taskMarkers('length', { length: 700, threshold: 500, label: 1 }, 1000).map((m) => [m.t, m.kind]),
    [
      [500, 'threshold'],
      [699, 'end'],
    ],
  );
  assert.deepEqual(
    taskMarkers('copy', { recall: 110 }, 120).map((m) => m.kind),
    ['recall'],
  );
  assert.deepEqual(taskMarkers('adding', { markers: [50] }, 20), [], 'outside the sequence: dropped');
  assert.deepEqual(taskMarkers('mnist', { label: 3 }, 784), []);
});

test('the launch form refuses what the server would refuse', () => {
  assert.deepEqual(validateLaunch(DEMO), {});
  const errors = validateLaunch({ ...DEMO, models: [], units: 0, length: 1, steps: 1.5 });
  assert.deepEqual(Object.keys(errors).sort(), ['length', 'models', 'steps', 'units']);
  assert.deepEqual(validateLaunch({ ...DEMO, task: 'reber', length: null }), {}, 'reber has no length');
});

test('the Report view formats numbers exactly as the Markdown report does', () => {
  const values = [0, 1.8e-6, 3.2e-5, 0.00999, 0.01, 0.0275, 0.5, 1, 9.96, 12.345, 999.4, 1000, 12_345.6, 2.5e7];
  for (const v of values) {
    assert.equal(copy.fmtInt(v), fmtInt(v), `fmtInt(${v})`);
    assert.equal(copy.fmtValue(v, 'loss'), fmtValue(v, 'loss'), `fmtValue(${v}, loss)`);
    assert.equal(copy.fmtDuration(v), fmtDuration(v), `fmtDuration(${v})`);
  }
  for (const v of [0, 0.5, 0.98765, 0.99, 1]) assert.equal(copy.fmtValue(v, 'accuracy'), fmtValue(v, 'accuracy'));
  const spreads = [null, { n: 1, mean: 1200, sd: 0, min: 1200, max: 1200 }, spread([1200, 1500, 1400])!];
  for (const s of spreads) assert.equal(copy.fmtSpread(s, copy.fmtInt), fmtSpread(s, fmtInt));
  assert.equal(copy.fmtSpread(spreads[2]!, copy.fmtInt), '1,367 ± 153 (1,200–1,500, n=3)');
  assert.equal(copy.stepsCell({ runs: 2, reached: 0, longestSteps: 3000, steps: null }), 'never (3,000 steps)');
  assert.equal(copy.stepsCell({ runs: 3, reached: 1, longestSteps: 3000, steps: spreads[1]! }), '1,200; 2 of 3 never');
});
