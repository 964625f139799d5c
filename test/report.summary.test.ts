import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunRecord } from '../src/report/data.js';
import { buildReport } from '../src/report/summary.js';
import { resolveRunConfig } from '../src/trainer/config.js';

/** A recorded run whose test loss falls from 1 to `floor`, crossing 0.01 at step `cross` (evaluations every 100). */
function run(id: number, model: 'rwa' | 'lstm', cross: number | null, extra: Record<string, unknown> = {}): RunRecord {
  const config = resolveRunConfig({ task: 'adding', taskOptions: { length: 100 }, model, steps: 5000, ...extra });
  const loss = Array.from({ length: Math.min(config.steps, 5000) / 100 + 1 }, (_, i) => ({
    step: i * 100,
    value: cross !== null && i * 100 >= cross ? 0.001 : 0.2,
    wallTime: i * 10,
  }));
  return {
    id,
    experiment: 'synthetic',
    model,
    task: config.task,
    length: 100,
    layers: config.layers,
    units: config.units,
    seed: id,
    status: 'SUCCEEDED',
    source: 'TRAINED',
    config: config as unknown as Record<string, unknown>,
    backend: 'test',
    totalSteps: config.steps,
    currentStep: config.steps,
    test: { loss, accuracy: [] },
  };
}

test('rows per model with seeds pooled; agreement with the paper and the RWA-vs-LSTM order in words', () => {
  // The trailing median meets the threshold 2 evaluations after the raw values do (3 of 5 under).
  const [group] = buildReport([run(1, 'rwa', 800), run(2, 'lstm', 3800), run(3, 'rwa', 1000)]);
  assert.equal(group!.label, 'adding T=100');
  const [rwa, lstm] = group!.rows;
  assert.deepEqual(rwa!.steps, { n: 2, mean: 1100, sd: Math.sqrt(20000), min: 1000, max: 1200 });
  assert.equal(rwa!.paperSteps, 1000);
  assert.equal(lstm!.steps!.mean, 4000);
  assert.match(rwa!.verdict[0]!, /^Steps to MSE < 0\.01 agree with the paper: 1,100 vs 1,000\.$/);
  assert.match(lstm!.verdict[0]!, /^Steps to MSE < 0\.01 agree with the paper: 4,000 vs 3,700\.$/);
  assert.match(rwa!.verdict.at(-1)!, /Final loss 1\.0e-3 vs the paper's 1\.8e-6: 556× higher, expected after 5,000/);
  assert.match(
    group!.sentences[0]!,
    /^Steps to threshold, ours: RWA 1,100 vs LSTM 4,000 steps \(RWA 3\.6× sooner\); the paper: RWA 1,000 vs LSTM 3,700 \(RWA 3\.7× sooner\): the order agrees\.$/,
  );
  assert.equal(rwa!.wallSeconds!.mean, 500);
  assert.equal(rwa!.stepsPerSecond!.mean, 10);
});

test('a reversed order, a model that never gets there, and settings that differ are said plainly', () => {
  const [group] = buildReport([run(1, 'rwa', 4000), run(2, 'lstm', 600, { units: 64, evalEvery: 50 })]);
  assert.match(group!.sentences[0]!, /RWA 4,200 vs LSTM 800 steps \(RWA 5\.3× later\).*the order is reversed\./);
  assert.match(
    group!.rows[0]!.verdict[0]!,
    /^Steps to MSE < 0\.01 disagree: 4,200 vs the paper's 1,000, 4\.2× later\.$/,
  );
  assert.deepEqual(group!.rows[1]!.differences, [
    'units 64 (paper 250)',
    'evaluated every 50 (paper 100)',
    '5,000 training steps (paper 50,000)',
  ]);

  const [never] = buildReport([run(1, 'rwa', null, { steps: 60000 }), run(2, 'lstm', null, { steps: 2000 })]);
  assert.match(
    never!.rows[0]!.verdict[0]!,
    /It never held MSE < 0\.01 \(paper: 1,000 steps\)\. It trained 60,000 steps, more than the paper needed: a disagreement\./,
  );
  assert.match(
    never!.rows[1]!.verdict[0]!,
    /It trained 2,000 steps, fewer than the paper needed, so this says nothing against it yet\./,
  );
  assert.match(
    never!.sentences[0]!,
    /^Neither RWA nor LSTM held the threshold in every run; the paper: RWA 1,000 vs LSTM 3,700/,
  );
});
