/**
 * RDA learns through the real training loop (src/trainer/train.ts) on the native engine: the adding problem,
 * T = 20, 32 units, Adam 1e-3, batch 100, like the RWA learning test in trainer.train.test.ts.
 *   npx tsc -p . && node --test dist/test/trainer.rda.test.js
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveRunConfig } from '../src/trainer/config.js';
import { selectEngine } from '../src/trainer/engines/index.js';
import { train } from '../src/trainer/train.js';
import { MemoryRecorder } from './helpers/memory-recorder.js';

test('RDA learns the adding problem (T=20, 32 units) to test MSE < 0.01 in 800 steps (measured 2.4e-3) on the native engine', async () => {
  const config = resolveRunConfig({
    task: 'adding',
    model: 'rda',
    taskOptions: { length: 20 },
    units: 32,
    steps: 800,
    snapshotSamples: 0,
    checkpointEvery: 100_000,
  });
  const recorder = new MemoryRecorder();
  const result = await train({ config, engine: await selectEngine('native', { threads: 2 }), recorder });
  assert.equal(result.status, 'SUCCEEDED');
  assert.equal(recorder.startedWith[0]!.engine, 'native');
  const curve = recorder.series('loss', 'TEST');
  assert.ok(
    curve[0]!.value > 0.05,
    `an untrained model should be near the constant predictor's ~0.167, got ${curve[0]!.value}`,
  );
  assert.ok(result.lastTest!.loss < 0.01, `test MSE after 800 steps: ${result.lastTest!.loss}`);
});
