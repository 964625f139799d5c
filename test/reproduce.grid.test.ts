import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BEYOND_MODELS,
  estimateSeconds,
  GRID_TASKS,
  gridSettings,
  planBeyond,
  planGrid,
  tiny,
} from '../src/reproduce/grid.js';
import { PAPER_ROWS } from '../src/report/paper.js';

const summary = (scale: 'quick' | 'paper') =>
  gridSettings(scale).map((s) => [s.label, s.task, s.taskOptions.length ?? null, s.taskOptions.variant ?? null]);

test('both scales cover the paper grid: adding, copy (paper variant) and length at T=100 and 1000, Reber, MNIST, permuted MNIST', () => {
  const expected = [
    ['adding T=100', 'adding', 100, null],
    ['adding T=1000', 'adding', 1000, null],
    ['copy T=100', 'copy', 100, 'paper'],
    ['copy T=1000', 'copy', 1000, 'paper'],
    ['length T=100', 'length', 100, 'paper'],
    ['length T=1000', 'length', 1000, 'paper'],
    ['Reber', 'reber', null, null],
    ['MNIST', 'mnist', null, 'pixels'],
    ['permuted MNIST', 'mnist', null, 'permuted'],
  ];
  assert.deepEqual(summary('quick'), expected);
  assert.deepEqual(summary('paper'), expected);
});

test("paper scale uses the paper's step counts and 250 units; every run has batch 100, Adam 0.001, a test every 100 steps", () => {
  const plan = planGrid({ scale: 'paper' });
  assert.deepEqual(
    plan.map((e) => [e.setting.label, e.configs[0]!.steps]),
    PAPER_ROWS.map((r) => [r.label, r.trainingSteps]),
  );
  for (const c of plan.flatMap((e) => e.configs)) {
    assert.equal(c.units, 250);
    assert.equal(c.layers, 1);
    assert.equal(c.batchSize, 100);
    assert.equal(c.learningRate, 0.001);
    assert.equal(c.evalEvery, 100);
    assert.equal(c.clipNorm, null);
  }
});

test('quick scale: fewer steps everywhere, 250 units at T=100 and Reber, fewer units at T=1000 and MNIST, same lengths', () => {
  const quick = planGrid({ scale: 'quick' });
  const paper = planGrid({ scale: 'paper' });
  assert.deepEqual(
    quick.map((e) => [e.setting.label, e.configs[0]!.steps, e.configs[0]!.units]),
    [
      ['adding T=100', 2000, 250],
      ['adding T=1000', 2000, 64],
      ['copy T=100', 1500, 128],
      ['copy T=1000', 500, 64],
      ['length T=100', 1000, 250],
      ['length T=1000', 1000, 64],
      ['Reber', 1000, 250],
      ['MNIST', 300, 64],
      ['permuted MNIST', 300, 64],
    ],
  );
  quick.forEach((e, i) => {
    assert.deepEqual(e.configs[0]!.taskOptions, paper[i]!.configs[0]!.taskOptions, e.name);
    assert.ok(e.setting.reason.length > 0, `${e.name} says why`);
  });
  // The budget: the whole grid in under an hour at the native engine's idle speed.
  const minutes = estimateSeconds(quick) / 60;
  assert.ok(minutes > 20 && minutes < 60, `quick grid estimated at ${minutes.toFixed(1)} min`);
  assert.ok(estimateSeconds(paper) > 100 * estimateSeconds(quick));
});

test('every model of a setting gets the same seeds (1..N) and the same data; experiments are named by prefix and row', () => {
  const plan = planGrid({ scale: 'quick', tasks: ['adding', 'reber'], models: ['rwa', 'lstm', 'gru'], seeds: 3 });
  assert.deepEqual(
    plan.map((e) => e.name),
    ['reproduce quick: adding T=100', 'reproduce quick: adding T=1000', 'reproduce quick: Reber'],
  );
  for (const e of plan) {
    assert.equal(e.configs.length, 9);
    for (const model of ['rwa', 'lstm', 'gru']) {
      const runs = e.configs.filter((c) => c.model === model);
      assert.deepEqual(
        runs.map((c) => c.seed),
        [1, 2, 3],
      );
      const { model: _m, ...rest } = runs[0]!;
      const { model: _r, ...rwa } = e.configs[0]!;
      assert.deepEqual(rest, rwa, 'only the model differs between seed 1 runs');
    }
  }
  const named = planGrid({ scale: 'paper', tasks: ['permuted-mnist'], experimentPrefix: 'rerun 2' });
  assert.deepEqual(
    named.map((e) => e.name),
    ['rerun 2: permuted MNIST'],
  );
  assert.deepEqual(
    planGrid({ scale: 'paper' }).map((e) => e.name.split(': ')[0]),
    Array(9).fill('reproduce paper'),
  );
  assert.equal(GRID_TASKS.length, 6);
});

test('beyond the paper: --layers runs every model at each depth, --lengths and --units pick a cheaper grid', () => {
  const plan = planGrid({
    scale: 'quick',
    tasks: ['adding', 'length', 'reber'],
    lengths: [100],
    models: ['rwa', 'lstm'],
    layers: [1, 2, 3],
    units: 64,
    seeds: 2,
    experimentPrefix: 'beyond',
  });
  assert.deepEqual(
    plan.map((e) => e.name),
    ['beyond: adding T=100', 'beyond: length T=100', 'beyond: Reber'],
  );
  for (const e of plan) {
    assert.deepEqual(
      e.configs.map((c) => `${c.seed}:${c.model}x${c.layers}`),
      [1, 2].flatMap((seed) => ['rwax1', 'rwax2', 'rwax3', 'lstmx1', 'lstmx2', 'lstmx3'].map((m) => `${seed}:${m}`)),
    );
    assert.ok(e.configs.every((c) => c.units === 64));
    assert.match(e.setting.reason, /^64 units for every row \(--units\)/);
  }
  // Depth costs in proportion: a 3-layer run is estimated at 3x a 1-layer run of the same model.
  const one = planGrid({ scale: 'quick', tasks: ['adding'], lengths: [100], models: ['rwa'] });
  const three = planGrid({ scale: 'quick', tasks: ['adding'], lengths: [100], models: ['rwa'], layers: [3] });
  assert.ok(Math.abs(estimateSeconds(three) / estimateSeconds(one) - 3) < 1e-9);
  assert.deepEqual(
    planGrid({ scale: 'quick', tasks: ['copy', 'mnist'], lengths: [1000] }).map((e) => e.setting.label),
    ['copy T=1000', 'MNIST'],
  );
});

test('tiny shrinks units, steps and lengths but keeps the grid and the seeds', () => {
  const plan = planGrid({ scale: 'quick', tasks: ['adding', 'length'], shrink: tiny });
  assert.deepEqual(
    plan.map((e) => [e.name, e.configs[0]!.taskOptions.length, e.configs[0]!.units, e.configs[0]!.steps]),
    [
      ['reproduce quick: adding T=100', 5, 8, 30],
      ['reproduce quick: adding T=1000', 50, 8, 30],
      ['reproduce quick: length T=100', 5, 8, 30],
      ['reproduce quick: length T=1000', 50, 8, 30],
    ],
  );
  assert.ok(estimateSeconds(plan) < 1);
});

test('--beyond: every model on every task, 3 seeds on the T=100 questions, depth 2 and 3 for RWA and LSTM, 64 units', () => {
  const plan = planBeyond({ scale: 'quick' });
  const rows = (e: (typeof plan)[number]) =>
    [...new Set(e.configs.map((c) => `${c.model}${c.layers > 1 ? `x${c.layers}` : ''}`))].join(',');
  const seedsOf = (e: (typeof plan)[number], model: string, layers = 1) =>
    e.configs.filter((c) => c.model === model && c.layers === layers).map((c) => c.seed);
  const five = BEYOND_MODELS.join(',');
  assert.equal(five, 'rwa,lstm,gru,rda,lstm-attention');
  assert.deepEqual(
    plan.map((e) => [e.name, rows(e)]),
    [
      ['beyond quick: adding T=100', `${five},rwax2,rwax3,lstmx2,lstmx3`],
      ['beyond quick: copy T=100', five],
      ['beyond quick: length T=100', five],
      ['beyond quick: length T=1000', five],
      ['beyond quick: Reber', five],
      ['beyond quick: MNIST', five],
      ['beyond quick: permuted MNIST', five],
    ],
  );
  const [adding, copy] = plan;
  assert.deepEqual(seedsOf(adding!, 'rda'), [1, 2, 3]);
  assert.deepEqual(seedsOf(adding!, 'rwa', 3), [1, 2, 3]);
  assert.deepEqual(seedsOf(copy!, 'lstm-attention'), [1]);
  assert.ok(plan.every((e) => e.configs.every((c) => c.units === 64)));
  const minutes = estimateSeconds(plan) / 60;
  assert.ok(minutes > 30 && minutes < 90, `beyond plan estimated at ${minutes.toFixed(1)} min`);
  // --seeds changes the question rows only; the paper scale keeps 250 units; --units and the prefix apply.
  const two = planBeyond({ scale: 'paper', seeds: 2, units: 32, experimentPrefix: 'b2' });
  assert.equal(two[0]!.name, 'b2: adding T=100');
  assert.deepEqual(seedsOf(two[0]!, 'gru'), [1, 2]);
  assert.deepEqual(seedsOf(two[1]!, 'gru'), [1]);
  assert.ok(planBeyond({ scale: 'paper' }).every((e) => e.configs.every((c) => c.units === 250)));
  assert.ok(two.every((e) => e.configs.every((c) => c.units === 32)));
});
