/**
 * The copy problem's layout: symbols, blanks, recall marker, and targets that are the symbols.
 *   npx tsc -p . && node --test dist/test/tasks.copy.test.js
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTask } from '../src/trainer/tasks/index.js';
import { COPY_BLANK, COPY_MARKER, type CopyEvents } from '../src/trainer/tasks/copy.js';

/** The one-hot feature of step t, sample b. */
function feature(x: Float32Array, t: number, b: number, B: number): number {
  const row = x.subarray((t * B + b) * 9, (t * B + b + 1) * 9);
  assert.equal(
    row.reduce((a, c) => a + c, 0),
    1,
    `one-hot at t=${t}`,
  );
  return row.indexOf(1);
}

describe('copy task', () => {
  it("'fixed': 10 symbols, T blanks, the marker, 10 blanks; targets are the symbols", () => {
    const T = 30;
    const task = createTask('copy', { length: T }, 5);
    assert.equal(task.sequenceSteps, T + 21);
    assert.equal(task.outputSteps, 10);
    assert.equal(task.inputSize, 9);
    assert.equal(task.outputSize, 8);
    const batch = task.trainBatch(1, 50);
    const B = 50;
    const seen = new Set<number>();
    for (let b = 0; b < B; b++) {
      const ev = batch.events[b] as CopyEvents;
      assert.equal(ev.recall, T + 10);
      for (let t = 0; t < task.sequenceSteps; t++) {
        const f = feature(batch.x, t, b, B);
        if (t < 10) {
          assert.equal(f, ev.symbols[t]);
          assert.ok(f < 7);
          seen.add(f);
        } else assert.equal(f, t === T + 10 ? COPY_MARKER : COPY_BLANK);
      }
      for (let k = 0; k < 10; k++) assert.equal(batch.targets[k * B + b], ev.symbols[k]);
    }
    assert.equal(seen.size, 7);
  });

  it("'paper': a random marker in 10..T+8, blank targets except the 10 steps after it", () => {
    const T = 12;
    const task = createTask('copy', { length: T, variant: 'paper' }, 5);
    const steps = T + 20;
    assert.equal(task.sequenceSteps, steps);
    assert.equal(task.outputSteps, steps);
    const B = 300;
    const batch = task.trainBatch(0, B);
    const recalls = new Set<number>();
    for (let b = 0; b < B; b++) {
      const ev = batch.events[b] as CopyEvents;
      assert.ok(ev.recall >= 10 && ev.recall <= T + 8);
      recalls.add(ev.recall);
      for (let t = 0; t < steps; t++) {
        const f = feature(batch.x, t, b, B);
        assert.equal(f, t < 10 ? ev.symbols[t] : t === ev.recall ? COPY_MARKER : COPY_BLANK);
        const i = t - ev.recall - 1;
        assert.equal(batch.targets[t * B + b], i >= 0 && i < 10 ? ev.symbols[i] : COPY_BLANK);
      }
    }
    assert.equal(recalls.size, T - 1);
  });
});
