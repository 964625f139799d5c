/**
 * The RDA equations (src/trainer/models/rda.ts and the float64 reference): the stable form, with log gamma
 * folded into the running max, equals the textbook discounted sums wherever those are finite; it stays finite
 * (and exact) where e^a overflows float32; with gamma = 1 it is RWA; the discount really discounts.
 *   npx tsc -p . && node --test dist/test/models.rda.test.js
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { networkForward } from '../src/trainer/models/cell.js';
import { initParams, paramLayout, paramView } from '../src/trainer/models/params.js';
import { referenceForward } from '../src/trainer/models/reference.js';
import type { SequenceBatch } from '../src/trainer/engines/engine.js';
import { assertClose, randomBatch, relError, tinySpec } from './helpers/tfjs-fixtures.js';
import { rwaSharing, setDiscount } from './helpers/rda.js';

const spec = tinySpec('rda', { layers: 1, outputSteps: 1, units: 5 });
const T = 12;
const B = 3;

before(async () => {
  await tf.setBackend('cpu');
});

/** Outputs (B, O) and the top layer's h (T*B, N) of the tf model, stable or naive. */
function run(params: Float32Array, batch: SequenceBatch, naiveRwa: boolean) {
  return tf.tidy(() => {
    const xs = Array.from({ length: T }, (_, t) => tf.tensor2d(batch.x.subarray(t * B * 3, (t + 1) * B * 3), [B, 3]));
    const { outputs, hidden } = networkForward(spec, tf.tensor1d(params), xs, undefined, { naiveRwa });
    return { outputs: outputs.dataSync() as Float32Array, hidden: tf.concat(hidden, 0).dataSync() as Float32Array };
  });
}

test('stable RDA equals the naive discounted sums (float64 1e-12, float32 tf 1e-5), biases spread over +-3', () => {
  const params = initParams(spec, 7);
  // a spread of discounts, from gamma ~ 0.05 to ~ 0.95
  paramView(params, paramLayout(spec), 'l0.bgamma').set([-3, -1, 0, 1, 3]);
  const batch = randomBatch(spec, T, B, 8);
  const ref = referenceForward(spec, params, batch);
  const naive64 = referenceForward(spec, params, batch, { naiveRwa: true });
  assertClose(naive64.outputs, ref.outputs, 1e-12, 'float64 outputs');
  assertClose(naive64.hidden[0]!, ref.hidden[0]!, 1e-12, 'float64 hidden states');
  const stable = run(params, batch, false);
  const naive = run(params, batch, true);
  assertClose(stable.outputs, ref.outputs, 1e-5, 'tf stable vs float64');
  assertClose(stable.hidden, ref.hidden[0]!, 1e-5, 'tf stable hidden vs float64');
  assertClose(naive.outputs, ref.outputs, 1e-5, 'tf naive vs float64');
});

test('the discount discounts: with gamma ~ 0 h_t = tanh(z_t), and it differs from RWA at gamma ~ 0.5', () => {
  const params = setDiscount(spec, initParams(spec, 3), -30, 0);
  const batch = randomBatch(spec, T, B, 4);
  const { hidden } = referenceForward(spec, params, batch);
  // gamma = e^-30: the past is gone, n/d = z_t
  const layout = paramLayout(spec);
  const [Wu, bu, Wg, bg] = ['Wu', 'bu', 'Wg', 'bg'].map((k) => paramView(params, layout, `l0.${k}`));
  const N = spec.units;
  const s = paramView(params, layout, 'l0.s');
  let worst = 0;
  for (let b = 0; b < B; b++) {
    let hPrev = Array.from(s, Math.tanh);
    for (let t = 0; t < T; t++) {
      const x = Array.from(batch.x.subarray((t * B + b) * 3, (t * B + b + 1) * 3));
      const xh = [...x, ...hPrev];
      const h: number[] = [];
      for (let j = 0; j < N; j++) {
        const u = x.reduce((acc, v, i) => acc + v * Wu![i * N + j]!, bu![j]!);
        const g = xh.reduce((acc, v, i) => acc + v * Wg![i * N + j]!, bg![j]!);
        h.push(Math.tanh(u * Math.tanh(g)));
        worst = Math.max(worst, Math.abs(h[j]! - hidden[0]![(t * B + b) * N + j]!));
      }
      hPrev = h;
    }
  }
  assert.ok(worst < 1e-9, `h_t vs tanh(z_t): ${worst}`);
  const half = setDiscount(spec, initParams(spec, 3), 0, 0);
  const rwa = rwaSharing(spec, half);
  const diff = relError(
    referenceForward(spec, half, batch).outputs,
    referenceForward(rwa.spec, rwa.params, batch).outputs,
  );
  assert.ok(diff > 1e-3, `gamma = 0.5 must change the outputs (relative difference ${diff})`);
});

test('with bgamma = +30 (gamma = 1 in float32) RDA is RWA with the same weights (float64 1e-12)', () => {
  const params = setDiscount(spec, initParams(spec, 5), 30);
  const batch = randomBatch(spec, T, B, 6, [12, 7, 1]);
  const rwa = rwaSharing(spec, params);
  assertClose(
    referenceForward(spec, params, batch).outputs,
    referenceForward(rwa.spec, rwa.params, batch).outputs,
    1e-12,
    'RDA vs RWA outputs',
  );
});

test('where a > 88 the naive form overflows float32 and the stable one stays finite and exact', () => {
  const params = initParams(spec, 7);
  const Wa = paramView(params, paramLayout(spec), 'l0.Wa');
  for (let i = 0; i < Wa.length; i++) Wa[i] = 30 + (i % 7);
  const batch = randomBatch(spec, T, B, 8);
  for (let i = 0; i < batch.x.length; i++) batch.x[i] = Math.abs(batch.x[i]!) * 3;
  const naive = run(params, batch, true);
  assert.ok(
    naive.outputs.some((v) => !Number.isFinite(v)),
    'naive float32 outputs overflow to NaN/Inf',
  );
  const stable = run(params, batch, false);
  assert.ok(stable.outputs.every(Number.isFinite) && stable.hidden.every(Number.isFinite), 'stable stays finite');
  // float64 does not overflow until a > 709, so the naive float64 form is the exact answer here.
  assertClose(stable.outputs, referenceForward(spec, params, batch, { naiveRwa: true }).outputs, 1e-5, 'vs float64');
});
