import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveRunConfig, type RunConfigInput } from '../src/trainer/config.js';
import { selectEngine } from '../src/trainer/engines/index.js';
import { createTfjsEngine } from '../src/trainer/engines/tfjs/index.js';
import { initParams } from '../src/trainer/models/params.js';
import { createTask } from '../src/trainer/tasks/index.js';
import { modelSpecFor, train } from '../src/trainer/train.js';
import { MemoryRecorder } from './helpers/memory-recorder.js';

const small = (over: RunConfigInput) =>
  resolveRunConfig({
    task: 'adding',
    taskOptions: { length: 10 },
    units: 8,
    steps: 30,
    evalEvery: 10,
    snapshotEvery: 10,
    checkpointEvery: 10,
    snapshotSamples: 2,
    ...over,
  });

async function native() {
  return selectEngine('native', { threads: 2 });
}

test('RWA learns the adding problem (T=20, 32 units) to test MSE < 0.01 on the native engine', async () => {
  const config = resolveRunConfig({
    task: 'adding',
    taskOptions: { length: 20 },
    units: 32,
    steps: 1200,
    snapshotSamples: 0,
    checkpointEvery: 100_000,
  });
  const recorder = new MemoryRecorder();
  const result = await train({ config, engine: await native(), recorder });
  assert.equal(result.status, 'SUCCEEDED');
  const test = recorder.series('loss', 'TEST');
  assert.ok(
    test[0]!.value > 0.05,
    `an untrained model should be near the constant predictor's ~0.167, got ${test[0]!.value}`,
  );
  assert.ok(result.lastTest!.loss < 0.01, `test MSE after 1200 steps: ${result.lastTest!.loss}`);
});

test('RWA learns the sequence-length task (T=20, masks) to test accuracy > 95%', async () => {
  const config = resolveRunConfig({
    task: 'length',
    taskOptions: { length: 20 },
    units: 32,
    steps: 400,
    testSize: 400,
    snapshotSamples: 0,
    checkpointEvery: 100_000,
  });
  const recorder = new MemoryRecorder();
  const result = await train({ config, engine: await native(), recorder });
  assert.ok(result.lastTest!.accuracy! > 0.95, `test accuracy after 400 steps: ${result.lastTest!.accuracy}`);
  assert.ok(recorder.series('accuracy', 'TEST').length >= 5);
});

test('the same seed gives the same loss curve; another seed gives another', async () => {
  const engine = await native();
  const curve = async (seed: number) => {
    const recorder = new MemoryRecorder();
    await train({ config: small({ seed }), engine, recorder });
    return recorder.series('loss', 'TRAIN').map((p) => p.value);
  };
  const a = await curve(3);
  assert.deepEqual(await curve(3), a);
  assert.notDeepEqual(await curve(4), a);
});

test('a cancelled run resumes from its checkpoint with identical data order and weights', async () => {
  const engine = await native();
  const config = small({ steps: 40, checkpointEvery: 1000 });
  const straight = new MemoryRecorder();
  await train({ config, engine, recorder: straight });

  const first = new MemoryRecorder();
  const controller = new AbortController();
  const cancelled = await train({
    config,
    engine,
    recorder: first,
    signal: controller.signal,
    onProgress: (p) => {
      if (p.step === 17) controller.abort();
    },
  });
  assert.equal(cancelled.status, 'CANCELLED');
  assert.equal(cancelled.step, 17);
  const ckpt = first.checkpoints.at(-1)!;
  assert.equal(ckpt.step, 17, 'cancel saves a checkpoint at the current step');

  const second = new MemoryRecorder();
  const resumed = await train({ config, engine, recorder: second, resume: ckpt });
  assert.equal(resumed.status, 'SUCCEEDED');
  assert.equal(second.startedWith[0]!.startStep, 17);
  assert.deepEqual(
    second.series('loss', 'TRAIN'),
    straight.series('loss', 'TRAIN').filter((p) => p.step > 17),
  );
  assert.deepEqual(second.checkpoints.at(-1)!.params, straight.checkpoints.at(-1)!.params);
});

test('NaN weights stop the run as DIVERGED with the step', async () => {
  const config = small({});
  const task = createTask(config.task, config.taskOptions, config.seed);
  const params = initParams(modelSpecFor(config, task), config.seed);
  params[3] = Number.NaN;
  const recorder = new MemoryRecorder();
  const zeros = new Float32Array(params.length);
  const result = await train({
    config,
    engine: await native(),
    recorder,
    resume: { step: 5, params, optimizer: { step: 5, m: zeros, v: zeros } },
  });
  assert.equal(result.status, 'DIVERGED');
  assert.equal(result.divergedStep, 6);
  assert.equal(recorder.result!.status, 'DIVERGED');
  assert.match(recorder.result!.error!, /loss became NaN at step 6/);
});

test('the loop records evaluations, snapshots with events, and checkpoints on schedule (tfjs engine too)', async () => {
  for (const engine of [await native(), await createTfjsEngine({ backend: 'cpu' })]) {
    const recorder = new MemoryRecorder();
    const result = await train({ config: small({}), engine, recorder });
    assert.equal(result.status, 'SUCCEEDED', engine.backend);
    assert.deepEqual(
      recorder.series('loss', 'TEST').map((p) => p.step),
      [0, 10, 20, 30],
    );
    assert.equal(recorder.series('loss', 'TRAIN').length, 30);
    assert.equal(recorder.series('grad_norm', 'TRAIN').length, 30);
    assert.deepEqual(
      recorder.checkpoints.map((c) => c.step),
      [10, 20, 30],
    );
    assert.deepEqual([...new Set(recorder.snapshots.map((s) => s.step))], [0, 10, 20, 30]);
    const snap = recorder.snapshots.at(-1)!;
    assert.equal(snap.timeSteps, 10);
    assert.equal(snap.units, 8);
    const events = snap.events as { markers?: number[]; prediction: number[]; target: number[] };
    assert.equal(events.prediction.length, 1);
    assert.equal(events.target.length, 1);
    assert.equal(recorder.startedWith[0]!.engine, engine.name);
  }
});
