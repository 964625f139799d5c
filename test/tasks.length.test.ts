/**
 * The length task: lengths in 1..T, label = length > T/2, balanced labels, value distributions.
 *   npx tsc -p . && node --test dist/test/tasks.length.test.js
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTask } from '../src/trainer/tasks/index.js';
import type { LengthEvents } from '../src/trainer/tasks/length.js';

describe('length task', () => {
  for (const variant of ['paper', 'article'] as const) {
    it(`${variant}: label = length > T/2, about half the labels are 1, lengths cover 1..T`, () => {
      const task = createTask('length', { variant }, 2);
      const T = task.sequenceSteps;
      assert.equal(T, variant === 'paper' ? 100 : 1000);
      const B = 2000;
      const batch = variant === 'paper' ? task.trainBatch(0, B) : task.testSet(B);
      let ones = 0;
      let minL = Infinity;
      let maxL = -Infinity;
      let sum = 0;
      let sumSq = 0;
      let n = 0;
      for (let b = 0; b < B; b++) {
        const ev = batch.events[b] as LengthEvents;
        const l = batch.lengths[b]!;
        assert.equal(ev.length, l);
        assert.equal(ev.threshold, T / 2);
        assert.equal(batch.targets[b], l > T / 2 ? 1 : 0);
        assert.equal(ev.label, batch.targets[b]);
        ones += ev.label;
        minL = Math.min(minL, l);
        maxL = Math.max(maxL, l);
        for (let t = 0; t < l; t++) {
          const v = batch.x[t * B + b]!;
          if (variant === 'paper') assert.ok(v >= 0 && v < 1);
          sum += v;
          sumSq += v * v;
          n++;
        }
      }
      const balance = ones / B;
      assert.ok(balance > 0.45 && balance < 0.55, `label balance ${balance}`);
      assert.ok(minL >= 1 && minL <= 1 + T / 50, `min length ${minL}`);
      assert.ok(maxL <= T && maxL >= T - T / 50, `max length ${maxL}`);
      const mean = sum / n;
      const variance = sumSq / n - mean * mean;
      if (variant === 'paper') assert.ok(Math.abs(mean - 0.5) < 0.01 && Math.abs(variance - 1 / 12) < 0.005);
      else assert.ok(Math.abs(mean) < 0.01 && Math.abs(variance - 1) < 0.01, `N(0,1)? ${mean} ${variance}`);
    });
  }
});
