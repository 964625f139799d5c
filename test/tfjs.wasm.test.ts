/**
 * The tfjs engine on the wasm back end (what runs by default without tfjs-node): gradients against float64
 * finite differences, outputs against the reference, no leaks. The cpu back end is tested in depth in
 * tfjs.engine.test.ts; the back end is process-wide, hence a file of its own.
 *   npx tsc -p . && node --test dist/test/tfjs.wasm.test.js
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { CELL_KINDS, DEFAULT_ADAM, type Engine } from '../src/trainer/engines/engine.js';
import { createTfjsEngine } from '../src/trainer/engines/tfjs/index.js';
import { initParams, paramLayout, paramView } from '../src/trainer/models/params.js';
import { finiteDifferenceGradient, referenceForward } from '../src/trainer/models/reference.js';
import { assertClose, randomArray, randomBatch, tinySpec } from './helpers/tfjs-fixtures.js';

let engine: Engine;
before(async () => {
  engine = await createTfjsEngine();
});

test('without tfjs-node the automatic choice is wasm', () => {
  assert.equal(tf.getBackend(), 'wasm');
  assert.match(engine.backend, /^tfjs wasm/);
});

test('every cell and lstm-attention: outputs and gradients within 1e-5 of float64 (finite differences), no leaks', () => {
  const T = 6;
  const lengths = [6, 3, 0];
  for (const cell of [...CELL_KINDS, 'lstm-attention' as const]) {
    const spec = cell === 'lstm-attention' ? tinySpec('lstm', { readout: 'attention' }) : tinySpec(cell);
    const params = initParams(spec, 2);
    const batch = randomBatch(spec, T, lengths.length, 3, lengths);
    const dY = randomArray(spec.outputSteps * lengths.length * spec.outputSize, 4);
    const model = engine.createModel(spec, params);
    const { outputs } = model.forward(batch);
    model.backward(dY);
    assertClose(outputs, referenceForward(spec, params, batch).outputs, 1e-5, `${cell} outputs`);
    assertClose(model.gradients(), finiteDifferenceGradient(spec, params, batch, dY), 1e-5, `${cell} gradients`);
    model.adamStep(DEFAULT_ADAM);
    const count = tf.memory().numTensors;
    for (let s = 0; s < 3; s++) {
      model.forward(batch);
      model.backward(dY);
      model.adamStep({ ...DEFAULT_ADAM, clipNorm: 0.5 });
      assert.equal(tf.memory().numTensors, count, `${cell}: tensors leak on wasm`);
    }
    model.dispose();
  }
});

test('RWA with a > 88 stays finite and exact on wasm (its tanh and exp go through sigmoid)', () => {
  const spec = tinySpec('rwa', { layers: 1, outputSteps: 1 });
  const params = initParams(spec, 4);
  const Wa = paramView(params, paramLayout(spec), 'l0.Wa');
  for (let i = 0; i < Wa.length; i++) Wa[i] = 40 * (i % 2 ? 1 : -1) + i;
  const lengths = [7, 4, 0, 2];
  const batch = randomBatch(spec, 7, lengths.length, 6, lengths);
  for (let i = 0; i < batch.x.length; i++) batch.x[i]! *= 10;
  const model = engine.createModel(spec, params);
  const { outputs } = model.forward(batch);
  model.backward(randomArray(lengths.length * spec.outputSize, 1));
  assert.ok(model.gradients().every(Number.isFinite), 'gradients finite');
  assertClose(outputs, referenceForward(spec, params, batch).outputs, 1e-5, 'outputs vs float64');
  model.dispose();
});
