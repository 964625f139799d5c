/**
 * The two engines agree: from the same initial weights and batches, the native engine and the tfjs
 * engine (deterministic cpu back end) give the same outputs, MSE loss, gradients and, after several Adam
 * steps where each engine follows its own loss, the same weights. Every cell, 2 layers, masks of
 * different lengths, K = 2 readout steps.
 *
 * Tolerances come from float32 rounding: both engines compute in float32 but sum in different orders
 * (blocked products vs tfjs matMul), so each value carries a relative error of a few 1e-7 per operation,
 * growing with the depth of the computation (T steps, 2 layers). Measured here: outputs within 1e-7,
 * gradients within 4e-7 of the largest gradient, weights within 2e-7 after 5 steps; the bounds below
 * leave 10-100x room. Adam moves a weight by about lr = 1e-3 per step, so weights agreeing to 2e-6 after
 * 5 steps means the two trajectories are the same to ~0.05% of the distance travelled.
 *   npx tsc -p . && node --test dist/test/native.tfjs.test.js
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CELL_KINDS, type Engine, type ModelSpec, type SequenceBatch } from '../src/trainer/engines/engine.js';
import { loadNativeEngine } from '../src/trainer/engines/native/index.js';
import { createTfjsEngine } from '../src/trainer/engines/tfjs/index.js';
import { computeLoss } from '../src/trainer/loss.js';
import { initParams } from '../src/trainer/models/params.js';
import { Rng } from '../src/trainer/random.js';

let tfjs: Engine;
let native: Engine;
before(async () => {
  tfjs = await createTfjsEngine({ backend: 'cpu' });
  const loaded = loadNativeEngine({ threads: 2 });
  if ('error' in loaded) assert.fail(`the native addon must be built for these tests: ${loaded.error}`);
  native = loaded.engine;
});

const LENGTHS = [12, 9, 12, 3, 1, 12];
const T = 12;
const B = LENGTHS.length;
const STEPS = 5;
const ADAM = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, clipNorm: 5 };

function batch(spec: ModelSpec, step: number): SequenceBatch & { targets: Float32Array } {
  const rng = new Rng(77, step);
  const x = Float32Array.from({ length: T * B * spec.inputSize }, () => rng.normal());
  const mask = new Float32Array(T * B);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) mask[t * B + b] = t < LENGTHS[b]! ? 1 : 0;
  const targets = Float32Array.from({ length: spec.outputSteps * B * spec.outputSize }, () => rng.normal());
  return { steps: T, batchSize: B, x, mask, targets };
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('native and tfjs engines agree', () => {
  for (const cell of CELL_KINDS) {
    it(`${cell}: outputs, loss, gradients and weights after ${STEPS} Adam steps`, () => {
      const spec: ModelSpec = { cell, inputSize: 3, units: 16, layers: 2, outputSize: 2, outputSteps: 2 };
      const shape = { K: spec.outputSteps, B, O: spec.outputSize };
      const init = initParams(spec, 31);
      const models = [native.createModel(spec, init), tfjs.createModel(spec, init)];
      for (let step = 0; step < STEPS; step++) {
        const data = batch(spec, step);
        const results = models.map((m) => {
          const { outputs } = m.forward(data);
          const loss = computeLoss('mse', outputs, data.targets, shape);
          m.backward(loss.dOutputs);
          const grads = m.gradients();
          const { gradNorm } = m.adamStep(ADAM);
          return { outputs, loss: loss.loss, grads, gradNorm };
        });
        const [n, t] = results as [(typeof results)[0], (typeof results)[0]];
        assert.ok(maxDiff(n.outputs, t.outputs) <= 1e-5 * Math.max(1, maxAbs(t.outputs)), `step ${step} outputs`);
        assert.ok(Math.abs(n.loss - t.loss) <= 1e-5 * t.loss, `step ${step} loss ${n.loss} vs ${t.loss}`);
        const gd = maxDiff(n.grads, t.grads);
        assert.ok(gd <= 5e-5 * maxAbs(t.grads), `step ${step} gradients differ by ${gd} (max ${maxAbs(t.grads)})`);
        assert.ok(Math.abs(n.gradNorm - t.gradNorm) <= 1e-5 * t.gradNorm, `step ${step} gradient norm`);
      }
      const wd = maxDiff(models[0]!.getParams(), models[1]!.getParams());
      assert.ok(wd <= 2e-6, `weights differ by ${wd} after ${STEPS} steps`);
      assert.ok(maxDiff(models[0]!.getParams(), init) > 1e-3, 'the weights must have moved');
      for (const m of models) m.dispose();
    });
  }
});
