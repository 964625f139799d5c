import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  finalValue,
  median,
  speed,
  spread,
  stepsToThreshold,
  trailingMedians,
  type Point,
} from '../src/report/metrics.js';
import { PAPER_ROWS, paperRowFor } from '../src/report/paper.js';
import { fmtValue } from '../src/report/summary.js';

/** Evaluations every 100 steps from step 0. */
const curve = (values: number[], wall = 0): Point[] =>
  values.map((value, i) => ({ step: i * 100, value, wallTime: wall * i }));

test('median of odd and even counts; trailing medians start at the fifth evaluation', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]));
  const m = trailingMedians(curve([5, 4, 3, 2, 1, 0]), 'below');
  assert.deepEqual(
    m.map((p) => [p.step, p.value]),
    [
      [400, 3],
      [500, 2],
    ],
  );
});

test('a loss reaches the threshold at the first evaluation where the median of the last 5 is under it', () => {
  // Raw values dip under 0.01 at step 300 (one lucky batch), then stay under from step 500.
  const c = curve([1, 0.5, 0.2, 0.005, 0.3, 0.009, 0.008, 0.004, 0.003, 0.002]);
  const r = stepsToThreshold(c, 0.01, 'below');
  // Windows ending at 600: [0.2,0.005,0.3,0.009,0.008] -> 0.009 < 0.01 (3 of 5 under).
  assert.equal(r.step, 600);
  assert.equal(r.median, 0.009);
  assert.equal(r.holdsFrom, 600);
});

test('strictly under: a median equal to the loss threshold does not count', () => {
  const r = stepsToThreshold(curve([0.01, 0.01, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001]), 0.01, 'below');
  assert.equal(r.step, 700);
});

test('a curve that never reaches the threshold gives null; so does one shorter than the window', () => {
  assert.deepEqual(stepsToThreshold(curve([1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.011]), 0.01, 'below'), {
    step: null,
    wallTime: null,
    median: null,
    holdsFrom: null,
  });
  assert.equal(stepsToThreshold(curve([0.001, 0.001, 0.001, 0.001]), 0.01, 'below').step, null);
  assert.equal(stepsToThreshold([], 0.01, 'below').step, null);
});

test('reaching then leaving keeps the first step; holdsFrom says from when it stays, or null', () => {
  const values = [1, 1, 0.001, 0.001, 0.001, 1, 1, 1, 0.001, 0.001, 0.001, 0.001, 0.001];
  const r = stepsToThreshold(curve(values), 0.01, 'below');
  assert.equal(r.step, 400); // window 200..400 all under
  // Medians meet it at 400..600, not at 700..900 (three 1s in the window), and again from 1000 on.
  assert.equal(r.holdsFrom, 1000); // window 600..1000 = [1,1,.001,.001,.001] -> 0.001
  const left = stepsToThreshold(curve([1, 1, 0.001, 0.001, 0.001, 1, 1, 1, 1]), 0.01, 'below');
  assert.equal(left.step, 400);
  assert.equal(left.holdsFrom, null);
});

test('accuracy counts upwards: at or above the threshold', () => {
  const acc = curve([0.5, 0.8, 0.99, 0.95, 0.99, 0.99, 1, 0.98]);
  const r = stepsToThreshold(acc, 0.99, 'atLeast');
  // Windows: ..500 [.8,.99,.95,.99,.99] -> .99 meets (>=); so 500.
  assert.equal(r.step, 500);
  assert.equal(r.holdsFrom, 500);
  assert.equal(stepsToThreshold(curve([1, 1, 1, 1, 0.989]), 0.99, 'atLeast').step, 400);
  assert.equal(stepsToThreshold(curve([0.98, 0.98, 0.98, 1, 1]), 0.99, 'atLeast').step, null);
});

test('NaN (a diverged evaluation) counts as failing in either direction', () => {
  assert.equal(stepsToThreshold(curve([0.001, 0.001, NaN, NaN, NaN]), 0.01, 'below').step, null);
  assert.equal(stepsToThreshold(curve([0.001, 0.001, 0.001, NaN, NaN]), 0.01, 'below').step, 400);
  assert.equal(stepsToThreshold(curve([1, 1, NaN, NaN, NaN]), 0.99, 'atLeast').step, null);
});

test('the wall time at the threshold comes from the curve', () => {
  const r = stepsToThreshold(curve([0, 0, 0, 0, 0], 2.5), 0.01, 'below');
  assert.equal(r.step, 400);
  assert.equal(r.wallTime, 10);
});

test("final value is the mean of the last 10 evaluations, of at most the last quarter of a short run's", () => {
  const values = Array.from({ length: 40 }, (_, i) => i);
  assert.equal(finalValue(curve(values)), (30 + 39) / 2);
  // 11 evaluations (a 1,000-step run): the last 2, not 10 that are mostly the start of training.
  assert.equal(finalValue(curve([9, 9, 9, 9, 9, 9, 9, 9, 9, 1, 3])), 2);
  assert.equal(finalValue(curve(Array.from({ length: 21 }, (_, i) => i))), (16 + 20) / 2);
  assert.equal(finalValue(curve([1, 2, 3])), 3);
  assert.equal(finalValue([]), null);
});

test('speed: steps per second from the last point; none without wall times', () => {
  assert.deepEqual(speed(curve([1, 1, 1], 4)), { steps: 200, wallSeconds: 8, stepsPerSecond: 25 });
  assert.deepEqual(speed(curve([1, 1, 1])), { steps: 200, wallSeconds: null, stepsPerSecond: null });
  assert.deepEqual(speed([]), { steps: 0, wallSeconds: null, stepsPerSecond: null });
});

test('spread over seeds: mean, sample sd, range; nulls left out', () => {
  assert.deepEqual(spread([1000, 1200, null, 1400]), { n: 3, mean: 1200, sd: 200, min: 1000, max: 1400 });
  assert.deepEqual(spread([5]), { n: 1, mean: 5, sd: 0, min: 5, max: 5 });
  assert.equal(spread([null]), null);
});

test('the paper table: a row per task and length, MNIST variants apart; every threshold row has both models', () => {
  assert.equal(paperRowFor('adding', { length: 100 })?.steps?.rwa, 1000);
  assert.equal(paperRowFor('adding', { length: 1000 })?.steps?.lstm, 16_800);
  assert.equal(paperRowFor('adding', { length: 50 }), undefined);
  assert.equal(paperRowFor('copy', { length: 1000, variant: 'fixed' })?.label, 'copy T=1000');
  assert.equal(paperRowFor('mnist', { variant: 'permuted' })?.final.values.rwa, 0.9354);
  assert.equal(paperRowFor('mnist', { variant: 'pixels' })?.final.values.lstm, 0.99);
  assert.equal(paperRowFor('reber', { length: 50 })?.threshold?.direction, 'atLeast');
  for (const row of PAPER_ROWS) if (row.threshold) assert.ok(row.steps && row.steps.rwa > 0 && row.steps.lstm > 0);
});

test('values print as the paper does: losses with two digits, accuracies as percentages', () => {
  assert.deepEqual(
    [1.76e-6, 0.0099, 0.01, 0.583, 10, 123, 2500, 0].map((v) => fmtValue(v, 'loss')),
    ['1.8e-6', '9.9e-3', '0.01', '0.58', '10', '120', '2.5e3', '0'],
  );
  assert.deepEqual(
    [0.992, 1, 0.9354, 0.5].map((v) => fmtValue(v, 'accuracy')),
    ['99.2%', '100%', '93.54%', '50%'],
  );
});
