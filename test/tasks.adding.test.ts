/**
 * The adding problem's data: exactly two markers, placed as documented, target = sum of marked values.
 *   npx tsc -p . && node --test dist/test/tasks.adding.test.js
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTask } from '../src/trainer/tasks/index.js';
import type { AddingEvents } from '../src/trainer/tasks/adding.js';

describe('adding task', () => {
  for (const markers of ['anywhere', 'halves']) {
    it(`has exactly two markers in range (${markers}) and the target is the sum of the marked values`, () => {
      const T = 40;
      const task = createTask('adding', { length: T, markers }, 3);
      const batch = task.trainBatch(0, 500);
      const B = batch.batchSize;
      const firstHits = new Float64Array(T);
      for (let b = 0; b < B; b++) {
        const marked: number[] = [];
        let sum = 0;
        for (let t = 0; t < T; t++) {
          const v = batch.x[(t * B + b) * 2]!;
          const m = batch.x[(t * B + b) * 2 + 1]!;
          assert.ok(v >= 0 && v < 1);
          assert.ok(m === 0 || m === 1);
          if (m === 1) {
            marked.push(t);
            sum += v;
          }
        }
        const ev = batch.events[b] as AddingEvents;
        assert.deepEqual(marked, ev.markers);
        assert.equal(marked.length, 2);
        assert.ok(Math.abs(batch.targets[b]! - sum) < 1e-6);
        assert.equal(batch.targets[b], ev.target);
        if (markers === 'halves') assert.ok(marked[0]! < T / 2 && marked[1]! >= T / 2);
        firstHits[marked[0]!]!++;
      }
      if (markers === 'anywhere') {
        // The first of two uniform distinct steps falls in the first half about 3/4 of the time.
        const early = firstHits.slice(0, T / 2).reduce((a, c) => a + c, 0) / B;
        assert.ok(early > 0.65 && early < 0.85, `first marker in first half: ${early}`);
      }
    });
  }

  it('targets have the mean 1 and variance 1/6 of a sum of two U[0,1) values', () => {
    const batch = createTask('adding', { length: 100 }, 1).trainBatch(2, 4000);
    const t = Array.from(batch.targets);
    const mean = t.reduce((a, c) => a + c, 0) / t.length;
    const variance = t.reduce((a, c) => a + (c - mean) ** 2, 0) / t.length;
    assert.ok(Math.abs(mean - 1) < 0.03, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1 / 6) < 0.015, `variance ${variance}`);
  });
});
