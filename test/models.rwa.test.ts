/**
 * The RWA equations (src/trainer/models/rwa.ts): the running-max form equals the naive form wherever the
 * naive one is finite, and stays finite (and exact) where e^a overflows float32 (a > 88).
 *   npx tsc -p . && node --test dist/test/models.rwa.test.js
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { networkForward } from '../src/trainer/models/cell.js';
import { initParams, paramLayout, paramView } from '../src/trainer/models/params.js';
import { referenceForward } from '../src/trainer/models/reference.js';
import type { SequenceBatch } from '../src/trainer/engines/engine.js';
import { assertClose, randomBatch, tinySpec } from './helpers/tfjs-fixtures.js';

const spec = tinySpec('rwa', { layers: 1, outputSteps: 1, units: 5 });
const T = 12;
const B = 3;

before(async () => {
  await tf.setBackend('cpu');
});

/** Outputs (B, O) and the top layer's h (T*B, N) of the tf model, stable or naive. */
function run(
  params: Float32Array,
  batch: SequenceBatch,
  naiveRwa: boolean,
): { outputs: Float32Array; hidden: Float32Array } {
  return tf.tidy(() => {
    const xs = Array.from({ length: T }, (_, t) => tf.tensor2d(batch.x.subarray(t * B * 3, (t + 1) * B * 3), [B, 3]));
    const { outputs, hidden } = networkForward(spec, tf.tensor1d(params), xs, undefined, { naiveRwa });
    return { outputs: outputs.dataSync() as Float32Array, hidden: tf.concat(hidden, 0).dataSync() as Float32Array };
  });
}

/** The largest attention pre-activation a = [x, hPrev] Wa over the sequence, in float64. */
function maxA(params: Float32Array, batch: SequenceBatch): number {
  const { hidden } = referenceForward(spec, params, batch);
  const Wa = paramView(params, paramLayout(spec), 'l0.Wa');
  const s = paramView(params, paramLayout(spec), 'l0.s');
  const N = spec.units;
  let max = -Infinity;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const xh = [...batch.x.subarray((t * B + b) * 3, (t * B + b + 1) * 3)];
      for (let j = 0; j < N; j++) xh.push(t === 0 ? Math.tanh(s[j]!) : hidden[0]![((t - 1) * B + b) * N + j]!);
      for (let j = 0; j < N; j++)
        max = Math.max(
          max,
          xh.reduce((acc, v, i) => acc + v * Wa[i * N + j]!, 0),
        );
    }
  }
  return max;
}

test('stable RWA equals the naive form where the naive one is finite (float32 1e-5, float64 1e-12)', () => {
  const params = initParams(spec, 7);
  const batch = randomBatch(spec, T, B, 8);
  assert.ok(maxA(params, batch) < 20, 'inputs keep e^a far from overflow');
  const stable = run(params, batch, false);
  const naive = run(params, batch, true);
  assertClose(stable.outputs, naive.outputs, 1e-5, 'outputs');
  assertClose(stable.hidden, naive.hidden, 1e-5, 'hidden states');
  const ref = referenceForward(spec, params, batch);
  assertClose(referenceForward(spec, params, batch, { naiveRwa: true }).outputs, ref.outputs, 1e-12, 'float64 forms');
  assertClose(stable.outputs, ref.outputs, 1e-5, 'tf vs float64 reference');
});

test('where a > 88 the naive form overflows float32 and the stable one stays finite and exact', () => {
  const params = initParams(spec, 7);
  const Wa = paramView(params, paramLayout(spec), 'l0.Wa');
  for (let i = 0; i < Wa.length; i++) Wa[i] = 30 + (i % 7);
  const batch = randomBatch(spec, T, B, 8);
  for (let i = 0; i < batch.x.length; i++) batch.x[i] = Math.abs(batch.x[i]!) * 3;
  assert.ok(maxA(params, batch) > 88, `a reaches ${maxA(params, batch)}`);
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
