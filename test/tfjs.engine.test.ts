/**
 * The tfjs engine on the deterministic `cpu` back end, tiny sizes: outputs against the float64 reference,
 * the hand-written backward against float64 finite differences and against tf autodiff of models/*.ts,
 * masks, stacking, K > 1, hidden capture, Adam and clipping against a float64 Adam, seeds, and leaks.
 *   npx tsc -p . && node --test dist/test/tfjs.engine.test.js
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import {
  CELL_KINDS,
  DEFAULT_ADAM,
  type Engine,
  type ModelSpec,
  type OptimizerState,
  type SequenceBatch,
} from '../src/trainer/engines/engine.js';
import { createTfjsEngine } from '../src/trainer/engines/tfjs/index.js';
import { initParams, paramLayout, paramView } from '../src/trainer/models/params.js';
import { finiteDifferenceGradient, referenceForward } from '../src/trainer/models/reference.js';
import { networkForward } from '../src/trainer/models/cell.js';
import { registerTfGradients } from './helpers/tf-gradients.js';
import { assertClose, randomArray, randomBatch, tinySpec } from './helpers/tfjs-fixtures.js';

// T = 7 with lengths 7, 4, 0 (a sequence that never starts) and 2: masks of different lengths, two of them
// ending before the K = 3 readout steps, so the frozen state is what the readout sees.
const T = 7;
const LENGTHS = [7, 4, 0, 2];
const B = LENGTHS.length;

let engine: Engine;
before(async () => {
  engine = await createTfjsEngine({ backend: 'cpu' });
  registerTfGradients();
});

/** One training step's gradient for dLoss/dOutputs = dY. */
function engineGradient(spec: ModelSpec, params: Float32Array, batch: SequenceBatch, dY: Float32Array): Float32Array {
  const model = engine.createModel(spec, params);
  model.forward(batch);
  model.backward(dY);
  const g = model.gradients();
  model.dispose();
  return g;
}

describe('tfjs engine (cpu back end)', () => {
  test('reports what runs', () => {
    assert.equal(engine.name, 'tfjs');
    assert.equal(engine.backend, 'tfjs cpu');
  });

  for (const cell of CELL_KINDS) {
    describe(cell, () => {
      const spec = tinySpec(cell);
      const params = initParams(spec, 3);
      const batch = randomBatch(spec, T, B, 5, LENGTHS);
      const dY = randomArray(spec.outputSteps * B * spec.outputSize, 9);

      test('outputs and captured hidden states match the float64 reference (masks, 2 layers, K = 3)', () => {
        const model = engine.createModel(spec, params);
        const { outputs, hidden } = model.forward(batch, { captureHidden: [1, 2], training: false });
        const ref = referenceForward(spec, params, batch);
        assertClose(outputs, ref.outputs, 1e-5, 'outputs');
        const top = ref.hidden[spec.layers - 1]!;
        [1, 2].forEach((b, i) => {
          const want = new Float64Array(T * spec.units);
          for (let t = 0; t < T; t++)
            want.set(top.subarray((t * B + b) * spec.units, (t * B + b + 1) * spec.units), t * spec.units);
          assertClose(hidden![i]!, want, 1e-5, `hidden of sample ${b}`);
        });
        model.dispose();
      });

      test('gradients match float64 central finite differences within 1e-5 (float32 gives ~1e-7)', () => {
        const g = engineGradient(spec, params, batch, dY);
        const fd = finiteDifferenceGradient(spec, params, batch, dY);
        assertClose(g, fd, 1e-5, 'gradient vs finite differences');
        assert.ok(
          fd.some((v) => Math.abs(v) > 1e-3),
          'the check is not vacuous',
        );
      });

      test('an evaluation forward between forward and backward changes nothing', () => {
        const model = engine.createModel(spec, params);
        model.forward(batch);
        model.forward(randomBatch(spec, T + 2, 2, 7), { training: false });
        model.backward(dY);
        assert.deepEqual(model.gradients(), engineGradient(spec, params, batch, dY));
        model.dispose();
      });

      test('the hand-written backward matches tf autodiff of models/*.ts within 1e-5', () => {
        const g = engineGradient(spec, params, batch, dY);
        const auto = tf.tidy(() => {
          const xs = Array.from({ length: T }, (_, t) =>
            tf.tensor2d(batch.x.subarray(t * B * spec.inputSize, (t + 1) * B * spec.inputSize), [B, spec.inputSize]),
          );
          const masks = Array.from({ length: T }, (_, t) =>
            tf.tensor2d(batch.mask!.subarray(t * B, (t + 1) * B), [B, 1]),
          );
          const dYt = tf.tensor2d(dY, [spec.outputSteps * B, spec.outputSize]);
          const objective = (p: tf.Tensor) =>
            tf.sum(tf.mul(networkForward(spec, p as tf.Tensor1D, xs, masks).outputs, dYt));
          return tf.grad(objective)(tf.tensor1d(params));
        });
        const autoGrad = auto.dataSync() as Float32Array;
        auto.dispose();
        assertClose(g, autoGrad, 1e-5, 'hand-written vs autodiff');
      });
    });
  }

  test('one layer, K = 1, no mask: gradients still match finite differences', () => {
    for (const cell of CELL_KINDS) {
      const spec = tinySpec(cell, { layers: 1, outputSteps: 1, units: 5 });
      const params = initParams(spec, 1);
      const batch = randomBatch(spec, 6, 2, 2);
      const dY = randomArray(2 * spec.outputSize, 4);
      assertClose(
        engineGradient(spec, params, batch, dY),
        finiteDifferenceGradient(spec, params, batch, dY),
        1e-5,
        cell,
      );
    }
  });

  test('RWA stays finite and exact where e^a overflows float32 (a > 88)', () => {
    const spec = tinySpec('rwa', { layers: 1, outputSteps: 1 });
    const params = initParams(spec, 4);
    // Large inputs and a large Wa push the attention pre-activations a far beyond 88.
    const Wa = paramView(params, paramLayout(spec), 'l0.Wa');
    for (let i = 0; i < Wa.length; i++) Wa[i] = 40 * (i % 2 ? 1 : -1) + i;
    const batch = randomBatch(spec, T, B, 6, LENGTHS);
    for (let i = 0; i < batch.x.length; i++) batch.x[i]! *= 10;
    const model = engine.createModel(spec, params);
    const { outputs } = model.forward(batch);
    model.backward(randomArray(B * spec.outputSize, 1));
    assert.ok(outputs.every(Number.isFinite), 'outputs finite');
    assert.ok(model.gradients().every(Number.isFinite), 'gradients finite');
    assertClose(outputs, referenceForward(spec, params, batch).outputs, 1e-5, 'outputs vs float64');
    model.dispose();
  });

  test('Adam (bias-corrected, as PyTorch) and global-norm clipping match a float64 Adam', () => {
    const spec = tinySpec('lstm');
    const batch = randomBatch(spec, T, B, 8, LENGTHS);
    const dY = randomArray(spec.outputSteps * B * spec.outputSize, 10);
    const model = engine.createModel(spec, initParams(spec, 2));
    const p = Float64Array.from(model.getParams());
    const m = new Float64Array(p.length);
    const v = new Float64Array(p.length);
    const { beta1, beta2, eps } = DEFAULT_ADAM;
    const lr = 0.01;
    // Step 2 clips (norm far above 0.05), steps 1 and 3 do not.
    const clips = [undefined, 0.05, 1e6];
    clips.forEach((clipNorm, i) => {
      model.forward(batch);
      model.backward(dY);
      const g = Float64Array.from(model.gradients());
      const norm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
      const { gradNorm } = model.adamStep({ ...DEFAULT_ADAM, lr, clipNorm });
      assert.ok(Math.abs(gradNorm - norm) <= 1e-5 * norm, `step ${i + 1}: gradNorm ${gradNorm} vs ${norm}`);
      const scale = clipNorm !== undefined && norm > clipNorm ? clipNorm / norm : 1;
      const t = i + 1;
      for (let j = 0; j < p.length; j++) {
        const gj = g[j]! * scale;
        m[j] = beta1 * m[j]! + (1 - beta1) * gj;
        v[j] = beta2 * v[j]! + (1 - beta2) * gj * gj;
        p[j] = p[j]! - ((lr / (1 - beta1 ** t)) * m[j]!) / (Math.sqrt(v[j]!) / Math.sqrt(1 - beta2 ** t) + eps);
      }
      assertClose(model.getParams(), p, 1e-6, `params after step ${t}`);
    });
    const state = model.getOptimizerState();
    assert.equal(state.step, 3);
    assertClose(state.m, m, 1e-6, 'first moments');
    assertClose(state.v, v, 1e-6, 'second moments');
    model.dispose();
  });

  test('params and optimizer state round-trip; same seed gives bit-identical training', () => {
    const spec = tinySpec('rwa');
    const batch = randomBatch(spec, T, B, 12, LENGTHS);
    const dY = randomArray(spec.outputSteps * B * spec.outputSize, 13);
    const run = (steps: number, from?: { params: Float32Array; state: OptimizerState }) => {
      const model = engine.createModel(spec, initParams(spec, 21));
      if (from) {
        model.setParams(from.params);
        model.setOptimizerState(from.state);
      }
      const outs: Float32Array[] = [];
      for (let s = 0; s < steps; s++) {
        outs.push(model.forward(batch).outputs);
        model.backward(dY);
        model.adamStep(DEFAULT_ADAM);
      }
      const result = { outs, params: model.getParams(), state: model.getOptimizerState() };
      model.dispose();
      return result;
    };
    const a = run(4);
    const b = run(4);
    assert.deepEqual(a.params, b.params);
    assert.deepEqual(a.outs, b.outs);
    // Two steps, then resume from the saved params and Adam state for two more: the same as four in a row.
    const half = run(2);
    const resumed = run(2, half);
    assert.deepEqual(resumed.params, a.params);
    assert.equal(resumed.state.step, 4);
  });

  test('no tensor leaks across training steps, evaluation, capture and dispose', () => {
    for (const cell of CELL_KINDS) {
      const spec = tinySpec(cell);
      const batch = randomBatch(spec, T, B, 14, LENGTHS);
      const plain = randomBatch(spec, T, B, 15);
      const dY = randomArray(spec.outputSteps * B * spec.outputSize, 16);
      const before = tf.memory().numTensors;
      const model = engine.createModel(spec, initParams(spec, 5));
      const afterCreate = tf.memory().numTensors;
      const counts: number[] = [];
      for (let s = 0; s < 4; s++) {
        model.forward(s === 1 ? plain : batch, { captureHidden: [0] });
        model.backward(dY);
        model.adamStep({ ...DEFAULT_ADAM, clipNorm: 0.1 });
        model.forward(batch, { training: false, captureHidden: [3] });
        model.gradients();
        counts.push(tf.memory().numTensors);
      }
      // Between steps the model holds its params, Adam moments and gradients (4 tensors), plus nothing else
      // once the weights are re-cut on the next forward.
      assert.deepEqual(
        counts,
        counts.map(() => counts[0]),
        `${cell}: tensors grow across steps ${counts}`,
      );
      assert.ok(counts[0]! - afterCreate < 200, `${cell}: ${counts[0]! - afterCreate} tensors held between steps`);
      model.forward(batch); // a training forward whose tape is never used is freed by dispose
      model.dispose();
      assert.equal(tf.memory().numTensors, before, `${cell}: tensors left after dispose`);
    }
  });

  test('bad inputs are errors that say what was expected', () => {
    const spec = tinySpec('gru');
    const model = engine.createModel(spec, initParams(spec, 1));
    assert.throws(() => model.backward(new Float32Array(3)), /training forward/);
    assert.throws(() => model.forward({ steps: 2, batchSize: 1, x: new Float32Array(6) }), /readout needs the last 3/);
    assert.throws(() => model.forward({ steps: 4, batchSize: 1, x: new Float32Array(5) }), /expected T\*B\*F/);
    assert.throws(() => engine.createModel(spec, new Float32Array(3)), /needs \d+/);
    model.dispose();
  });

  test('an explicitly requested back end that is missing names itself and the fix', async () => {
    let installed = true;
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch {
      installed = false;
    }
    if (installed) return;
    await assert.rejects(createTfjsEngine({ backend: 'tensorflow' }), (err: Error) => {
      assert.match(err.message, /tensorflow/);
      assert.match(err.message, /npm install @tensorflow\/tfjs-node/);
      return true;
    });
    assert.equal(tf.getBackend(), 'cpu', 'a failed request leaves the current back end alone');
  });
});
