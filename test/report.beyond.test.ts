import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunRecord } from '../src/report/data.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { buildReport } from '../src/report/summary.js';
import { resolveRunConfig } from '../src/trainer/config.js';

let nextId = 1;

/**
 * A recorded adding T=100 run whose test loss drops from 0.2 to 0.001 at step `cross` (null: never), with
 * evaluations every 100 steps; the trailing median of 5 meets the 0.01 threshold 200 steps later.
 */
function run(model: string, cross: number | null, layers = 1, units = 64): RunRecord {
  const config = resolveRunConfig({
    task: 'adding',
    taskOptions: { length: 100 },
    model: 'rwa',
    layers,
    units,
    steps: 3000,
  });
  const loss = Array.from({ length: 31 }, (_, i) => ({
    step: i * 100,
    value: cross !== null && i * 100 >= cross ? 0.001 : 0.2,
    wallTime: i * 5,
  }));
  const id = nextId++;
  return {
    id,
    experiment: 'beyond (synthetic)',
    model,
    task: 'adding',
    length: 100,
    layers,
    units,
    seed: id,
    status: 'SUCCEEDED',
    source: 'TRAINED',
    config: { ...config, model } as unknown as Record<string, unknown>,
    backend: 'test',
    totalSteps: 3000,
    currentStep: 3000,
    test: { loss, accuracy: [] },
  };
}

const seeds = (model: string, crosses: (number | null)[], layers = 1, units = 64) =>
  crosses.map((c) => run(model, c, layers, units));

test('depth: a stack that beats one layer in every seed is a yes; overlapping seeds are no difference', () => {
  const [group] = buildReport([
    ...seeds('rwa', [1000, 1200, 1100]),
    ...seeds('rwa', [500, 600, 700], 2),
    ...seeds('rwa', [400, 500, 600], 3),
    ...seeds('lstm', [2000, 2400, 2200]),
    ...seeds('lstm', [1800, 2300, 2500], 2),
  ]);
  const [rwaDepth, lstmDepth] = group!.beyond;
  assert.equal(
    rwaDepth,
    'Does depth help RWA? yes: 2 layers sooner than 1 layer, 3 layers sooner than 1 layer ' +
      '(1 layer 1,300 ± 100 steps (3/3 runs); 2 layers 800 ± 100 steps (3/3 runs); 3 layers 700 ± 100 steps (3/3 runs)).',
  );
  assert.match(
    lstmDepth!,
    /^Does depth help LSTM\? no difference beyond the seed spread: 2 layers no difference from 1 layer beyond the seed spread \(1 layer 2,400 ± 200 steps/,
  );
  // The answers are also among the group's sentences, after the RWA-vs-LSTM one.
  assert.deepEqual(group!.sentences.slice(-2), [rwaDepth, lstmDepth]);
});

test('a stack that never reaches the threshold is a no; rows of another size are left out of the comparison', () => {
  const [group] = buildReport([
    ...seeds('rwa', [1000, 1100]),
    ...seeds('rwa', [null, null], 3),
    // One 250-unit run: another size, a minority of rows, not compared.
    run('rwa', 300, 2, 250),
  ]);
  assert.deepEqual(group!.beyond, [
    'Does depth help RWA? no, it hurt: 3 layers later than 1 layer ' +
      '(1 layer 1,250 ± 71 steps (2/2 runs); 3 layers never in 3,000 steps (0/2)).',
  ]);
});

test('RWA against LSTM+attention, attention against plain LSTM, RDA and GRU against RWA, and a ranking', () => {
  const [group] = buildReport([
    ...seeds('rwa', [800, 900, 1000]),
    ...seeds('lstm', [null, null, null]),
    ...seeds('lstm-attention', [1500, 1600, 1700]),
    ...seeds('rda', [700, 1300, 900]),
    ...seeds('gru', [1800, null, 2000]),
  ]);
  assert.deepEqual(group!.beyond, [
    'Steps to threshold, one layer of 64 units, best first: RWA 1,100 ± 100 steps (3/3 runs); RDA 1,167 ± 306 steps (3/3 runs); ' +
      'LSTM+attention 1,800 ± 100 steps (3/3 runs); GRU 2,100 ± 141 steps (2/3 runs); LSTM never in 3,000 steps (0/3).',
    'RWA against LSTM+attention: RWA reached the threshold sooner than LSTM+attention ' +
      '(RWA 1,100 ± 100 steps (3/3 runs); LSTM+attention 1,800 ± 100 steps (3/3 runs)); ' +
      'attention against plain LSTM: LSTM+attention reached the threshold sooner than LSTM ' +
      '(LSTM+attention 1,800 ± 100 steps (3/3 runs); LSTM never in 3,000 steps (0/3)).',
    'RDA against RWA: no difference between RDA and RWA beyond the seed spread ' +
      '(RDA 1,167 ± 306 steps (3/3 runs); RWA 1,100 ± 100 steps (3/3 runs)).',
    'GRU against RWA: GRU reached the threshold in fewer of its runs than RWA (GRU 2,100 ± 141 steps (2/3 runs); RWA 1,100 ± 100 steps (3/3 runs)).',
  ]);
});

test("the paper's pair alone adds nothing beyond the paper; the Markdown lists the answers in their own section", () => {
  const [plain] = buildReport([...seeds('rwa', [800]), ...seeds('lstm', [2000])]);
  assert.deepEqual(plain!.beyond, []);
  const groups = buildReport([...seeds('rwa', [800, 900]), ...seeds('rwa', [800, 900], 2)]);
  const md = renderMarkdown(groups, new Map(), {
    title: 't',
    command: 'rwa-lab report x',
    experiments: ['x'],
    source: 'test',
    generatedAt: new Date(0),
  });
  assert.match(
    md,
    /## Beyond the paper\n\n.*\n\n- adding T=100: Does depth help RWA\? no difference beyond the seed spread/,
  );
  assert.doesNotMatch(
    renderMarkdown(buildReport([...seeds('rwa', [800])]), new Map(), {
      title: 't',
      command: 'c',
      experiments: [],
      source: 's',
      generatedAt: new Date(0),
    }),
    /Beyond the paper/,
  );
});

test('one run a side: numbers but no verdict, unless one reached the threshold and the other never did', () => {
  const [group] = buildReport([...seeds('rwa', [800]), ...seeds('rda', [1000]), ...seeds('gru', [null])]);
  assert.deepEqual(group!.beyond.slice(1), [
    'RDA against RWA: one run each, no spread to judge a difference by (RDA 1,200 steps (1/1 runs); RWA 1,000 steps (1/1 runs)).',
    'GRU against RWA: GRU reached the threshold later than RWA, in one run each (GRU never in 3,000 steps (0/1); RWA 1,000 steps (1/1 runs)).',
  ]);
  // No model reached it: the ranking goes by the final value.
  const [none] = buildReport([...seeds('rwa', [null]), ...seeds('gru', [null])]);
  assert.match(
    none!.beyond[0]!,
    /^No model reached the threshold in 3,000 steps\. Final loss, one layer of 64 units, best first: /,
  );
});

test('MNIST and permuted MNIST stay apart (their paper rows differ only by variant)', () => {
  const mnist = (variant: string) => {
    const r = run('rwa', null);
    return { ...r, task: 'mnist', length: null, config: { ...r.config, task: 'mnist', taskOptions: { variant } } };
  };
  const groups = buildReport([mnist('pixels'), mnist('permuted'), mnist('permuted')]);
  assert.deepEqual(
    groups.map((g) => [g.key, g.label, g.rows[0]!.runs.length]),
    [
      ['mnist', 'MNIST', 1],
      ['mnist-permuted', 'permuted MNIST', 2],
    ],
  );
});
