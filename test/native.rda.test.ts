/**
 * The native RDA kernel (src/trainer/engines/native/cpp/rda.cc) in its limits, beyond the checks every cell
 * gets in native.engine.test.ts (float64 outputs, finite-difference gradients, reproducibility):
 * gradients with discounts from gamma ~ 0.05 to ~ 0.95; gamma = 1 gives RWA exactly; a strong discount over
 * T = 2000 steps stays finite and exact (the reason log gamma lives in the running max); and the tfjs engine
 * agrees there too. Fails (does not skip) when the addon is not built.
 *   npx tsc -p . && node --test dist/test/native.rda.test.js
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Engine, ModelSpec, SequenceBatch } from '../src/trainer/engines/engine.js';
import { loadNativeEngine } from '../src/trainer/engines/native/index.js';
import { createTfjsEngine } from '../src/trainer/engines/tfjs/index.js';
import { initParams, paramLayout, paramView } from '../src/trainer/models/params.js';
import { finiteDifferenceGradient, referenceForward } from '../src/trainer/models/reference.js';
import { Rng } from '../src/trainer/random.js';
import { rwaSharing, setDiscount } from './helpers/rda.js';

let native: Engine;
let tfjs: Engine;
before(async () => {
  const loaded = loadNativeEngine({ threads: 2 });
  if ('error' in loaded) assert.fail(`the native addon must be built for these tests: ${loaded.error}`);
  native = loaded.engine;
  tfjs = await createTfjsEngine({ backend: 'cpu' });
});

function spec(layers: number, over: Partial<ModelSpec> = {}): ModelSpec {
  return { cell: 'rda', inputSize: 3, units: 5, layers, outputSize: 2, outputSteps: 2, ...over };
}

function makeBatch(sp: ModelSpec, T: number, B: number, seed: number, lengths?: number[]): SequenceBatch {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: T * B * sp.inputSize }, () => rng.normal());
  if (!lengths) return { steps: T, batchSize: B, x };
  const mask = new Float32Array(T * B);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) mask[t * B + b] = t < lengths[b]! ? 1 : 0;
  return { steps: T, batchSize: B, x, mask };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
const maxAbs = (a: ArrayLike<number>) => maxAbsDiff(a, new Float64Array(a.length));

/** Outputs and gradients of one training forward/backward. */
function forwardBackward(e: Engine, sp: ModelSpec, params: Float32Array, batch: SequenceBatch, dY?: Float32Array) {
  const model = e.createModel(sp, params);
  const { outputs } = model.forward(batch);
  model.backward(dY ?? outputs.map((_, i) => Math.sin(i + 1)));
  const grads = model.gradients();
  model.dispose();
  return { outputs, grads };
}

describe('native RDA: gradients against float64 finite differences, discounts spread over gamma ~ 0.05..0.95', () => {
  for (const layers of [1, 2]) {
    it(`${layers} layer(s), masks 6/4/1/0, 2 readout steps`, () => {
      const sp = spec(layers);
      const params = initParams(sp, 23);
      const layout = paramLayout(sp);
      for (let l = 0; l < layers; l++) paramView(params, layout, `l${l}.bgamma`).set([-3, -1.5, 0, 1.5, 3]);
      const batch = makeBatch(sp, 6, 4, 17, [6, 4, 1, 0]);
      const rng = new Rng(9);
      const dY = Float32Array.from({ length: 2 * 4 * 2 }, () => rng.normal());
      const { grads } = forwardBackward(native, sp, params, batch, dY);
      const fd = finiteDifferenceGradient(sp, params, batch, dY);
      let worst = 0;
      for (const t of layout.tensors) {
        for (let i = t.offset; i < t.offset + t.size; i++) {
          const err = Math.abs(grads[i]! - fd[i]!);
          worst = Math.max(worst, err / (2e-5 + 1e-4 * Math.abs(fd[i]!)));
          assert.ok(
            err <= 2e-5 + 1e-4 * Math.abs(fd[i]!),
            `${t.name}[${i - t.offset}]: native ${grads[i]} vs fd ${fd[i]}`,
          );
        }
      }
      const gammaGrads = layout.tensors
        .filter((t) => t.key.endsWith('gamma'))
        .flatMap((t) => [...fd.subarray(t.offset, t.offset + t.size)]);
      assert.ok(maxAbs(gammaGrads) > 1e-3, 'the discount must matter to the loss for this check to mean anything');
    });
  }
});

describe('native RDA: limits', () => {
  it('bgamma = +30 (gamma = 1 in float32): outputs and shared gradients equal RWA with the same weights', () => {
    const sp = spec(2);
    const params = setDiscount(sp, initParams(sp, 5), 30);
    const batch = makeBatch(sp, 9, 4, 3, [9, 6, 1, 0]);
    const rwa = rwaSharing(sp, params);
    const dY = Float32Array.from({ length: 2 * 4 * 2 }, (_, i) => Math.cos(i));
    const a = forwardBackward(native, sp, params, batch, dY);
    const b = forwardBackward(native, rwa.spec, rwa.params, batch, dY);
    assert.ok(maxAbsDiff(a.outputs, b.outputs) <= 1e-6, `outputs differ by ${maxAbsDiff(a.outputs, b.outputs)}`);
    // the RWA parameters' gradients are the same; Wgamma's and bgamma's are ~ (1 - gamma) = e^-30
    const from = paramLayout(sp);
    const to = paramLayout(rwa.spec);
    for (const t of to.tensors) {
      const d = maxAbsDiff(paramView(a.grads, from, t.name), paramView(b.grads, to, t.name));
      assert.ok(d <= 1e-5 * Math.max(1, maxAbs(b.grads)), `${t.name} gradients differ by ${d}`);
    }
    for (const key of ['l0.Wgamma', 'l0.bgamma', 'l1.Wgamma', 'l1.bgamma'])
      assert.ok(maxAbs(paramView(a.grads, from, key)) < 1e-9, `${key} gradient must vanish at gamma = 1`);
  });

  it('T = 2000 with bgamma = -5 (gamma ~ 0.007) and large attention logits: finite, exact, and both engines agree', () => {
    const sp = spec(1, { units: 6, outputSteps: 1 });
    let params = setDiscount(sp, initParams(sp, 8), -5);
    paramView(params, paramLayout(sp), 'l0.Wa').forEach((v, i, a) => (a[i] = v * 20)); // a spans ~ +-50
    params = Float32Array.from(params);
    const batch = makeBatch(sp, 2000, 3, 5, [2000, 1500, 999]);
    const n = forwardBackward(native, sp, params, batch);
    assert.ok(n.outputs.every(Number.isFinite), 'outputs finite');
    assert.ok(n.grads.every(Number.isFinite), 'gradients finite');
    const ref = referenceForward(sp, params, batch);
    assert.ok(maxAbsDiff(n.outputs, ref.outputs) < 1e-4, `native vs float64: ${maxAbsDiff(n.outputs, ref.outputs)}`);
    const t = forwardBackward(tfjs, sp, params, batch);
    assert.ok(maxAbsDiff(n.outputs, t.outputs) < 1e-4, `native vs tfjs outputs: ${maxAbsDiff(n.outputs, t.outputs)}`);
    const gd = maxAbsDiff(n.grads, t.grads);
    assert.ok(gd <= 1e-3 * maxAbs(t.grads), `native vs tfjs gradients: ${gd} (max ${maxAbs(t.grads)})`);
  });
});
