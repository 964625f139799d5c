/**
 * Every task: validated options, shapes, determinism per (seed, step), a fixed test set, masks = lengths.
 *   npx tsc -p . && node --test dist/test/tasks.registry.test.js
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createTask,
  resolveTaskOptions,
  TASK_NAMES,
  TaskConfigError,
  type Task,
  type TaskBatch,
} from '../src/trainer/tasks/index.js';

const small: Record<string, Record<string, unknown>> = {
  adding: { length: 50 },
  copy: { length: 20 },
  length: { length: 60 },
  reber: {},
  mnist: {},
};

function same(a: TaskBatch, b: TaskBatch): boolean {
  return (
    a.steps === b.steps &&
    a.batchSize === b.batchSize &&
    Buffer.compare(Buffer.from(a.x.buffer), Buffer.from(b.x.buffer)) === 0 &&
    Buffer.compare(Buffer.from(a.targets.buffer), Buffer.from(b.targets.buffer)) === 0 &&
    JSON.stringify(a.events) === JSON.stringify(b.events) &&
    (a.mask === undefined) === (b.mask === undefined) &&
    (!a.mask || Buffer.compare(Buffer.from(a.mask.buffer), Buffer.from(b.mask!.buffer)) === 0)
  );
}

function checkShapes(task: Task, batch: TaskBatch, B: number) {
  const T = task.sequenceSteps;
  assert.equal(batch.steps, T);
  assert.equal(batch.batchSize, B);
  assert.equal(batch.x.length, T * B * task.inputSize);
  const width = task.loss === 'softmax' ? 1 : task.outputSize;
  assert.equal(batch.targets.length, task.outputSteps * B * width);
  assert.equal(batch.lengths.length, B);
  assert.equal(batch.events.length, B);
  assert.ok(batch.x.every(Number.isFinite));
  if (task.loss === 'softmax')
    assert.ok(batch.targets.every((c) => Number.isInteger(c) && c >= 0 && c < task.outputSize));
  if (batch.mask) {
    assert.equal(batch.mask.length, T * B);
    for (let b = 0; b < B; b++) {
      const l = batch.lengths[b]!;
      assert.ok(l >= 1 && l <= T, `length ${l} in 1..${T}`);
      for (let t = 0; t < T; t++) {
        assert.equal(batch.mask[t * B + b], t < l ? 1 : 0, `mask[${t}, ${b}] for length ${l}`);
        if (t >= l) for (let f = 0; f < task.inputSize; f++) assert.equal(batch.x[(t * B + b) * task.inputSize + f], 0);
      }
    }
  } else {
    assert.ok(batch.lengths.every((l) => l === T));
  }
  JSON.parse(JSON.stringify(batch.events)); // plain JSON
}

describe('every task', () => {
  for (const name of TASK_NAMES) {
    describe(name, () => {
      const task = createTask(name, small[name], 11);

      it('has consistent sizes, a loss and its metrics', () => {
        assert.equal(task.name, name);
        assert.ok(task.metrics.includes('loss'));
        assert.equal(task.metrics.includes('accuracy'), task.loss !== 'mse');
        assert.ok(task.defaultTrainingSteps > 0);
        checkShapes(task, task.trainBatch(0, 7), 7);
        checkShapes(task, task.testSet(9), 9);
      });

      it('gives the same batch for the same seed and step, even from a fresh task (resume)', () => {
        const again = createTask(name, small[name], 11);
        assert.ok(same(task.trainBatch(5, 8), again.trainBatch(5, 8)));
        // Order of calls does not matter.
        const late = task.trainBatch(123, 8);
        task.trainBatch(4, 8);
        assert.ok(same(late, again.trainBatch(123, 8)));
      });

      it('gives different batches for different steps and seeds', () => {
        assert.ok(!same(task.trainBatch(5, 8), task.trainBatch(6, 8)));
        assert.ok(!same(task.trainBatch(5, 8), createTask(name, small[name], 12).trainBatch(5, 8)));
      });

      it('has a fixed test set, distinct from training batches, whose prefixes agree', () => {
        const a = task.testSet(20);
        const b = createTask(name, small[name], 11).testSet(20);
        assert.ok(same(a, b));
        assert.ok(!same(a, task.trainBatch(0, 20)));
        const c = task.testSet(30);
        assert.deepEqual(c.events.slice(0, 20), a.events);
      });

      it('rejects bad steps and sizes', () => {
        assert.throws(() => task.trainBatch(-1, 10), /step/);
        assert.throws(() => task.trainBatch(1.5, 10), /step/);
        assert.throws(() => task.trainBatch(0, 0), /batch size/);
        assert.throws(() => task.testSet(0), /test set size/);
      });
    });
  }
});

describe('createTask validation', () => {
  const code = (fn: () => unknown, c: string, re: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof TaskConfigError && e.code === c && re.test(e.message));

  it('names the unknown task and the known ones', () =>
    code(() => createTask('adder'), 'UNKNOWN_TASK', /"adder".*adding, copy/));
  it('names the unknown option and the allowed ones', () =>
    code(() => createTask('adding', { T: 5 }), 'UNKNOWN_OPTION', /"T".*length, markers/));
  it('names a bad int and its range', () => {
    code(() => createTask('adding', { length: 1 }), 'BAD_OPTION', /length .* 2\.\.100000; got 1/);
    code(() => createTask('adding', { length: 'ten' }), 'BAD_OPTION', /got "ten"/);
    code(() => createTask('adding', { length: 10.5 }), 'BAD_OPTION', /got 10.5/);
  });
  it('names a bad enum and its values', () =>
    code(() => createTask('copy', { variant: 'long' }), 'BAD_OPTION', /fixed, paper; got "long"/));
  it('rejects a bad seed', () => code(() => createTask('adding', {}, -1), 'BAD_SEED', /0\.\.4294967295; got -1/));
  it('fills defaults, accepts CLI strings, and lets an int default follow an enum', () => {
    assert.deepEqual({ ...resolveTaskOptions('adding', { length: '1000' }) }, { markers: 'anywhere', length: 1000 });
    assert.equal(resolveTaskOptions('length', { variant: 'article' }).length, 1000);
    assert.equal(resolveTaskOptions('length', {}).length, 100);
  });
});
