/**
 * Reber grammar: valid strings accepted, invalid ones rejected, half of each, one-hot encoding, masks.
 *   npx tsc -p . && node --test dist/test/tasks.reber.test.js
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTask } from '../src/trainer/tasks/index.js';
import { acceptsReber, REBER_LETTERS, type ReberEvents } from '../src/trainer/tasks/reber.js';

describe('reber task', () => {
  it('acceptsReber knows the grammar', () => {
    for (const s of ['BTXSE', 'BPVVE', 'BTSSXXTVVE', 'BPTTVPXVPSE', 'BTXXVPSE']) assert.ok(acceptsReber(s), s);
    for (const s of ['', 'B', 'BTXS', 'BTXSEE', 'TXSE', 'BTXXE', 'BPVPXE', 'BTSXXVVEB', 'BPE'])
      assert.ok(!acceptsReber(s), s);
  });

  it('labels valid strings that the grammar accepts and invalid ones it rejects, about half each', () => {
    const task = createTask('reber', {}, 9);
    const B = 2000;
    const batch = task.trainBatch(0, B);
    let valid = 0;
    for (let b = 0; b < B; b++) {
      const ev = batch.events[b] as ReberEvents;
      assert.equal(ev.length, ev.string.length);
      assert.equal(batch.lengths[b], ev.string.length);
      assert.ok(ev.string.length <= 50);
      assert.equal(acceptsReber(ev.string), ev.valid, ev.string);
      assert.equal(batch.targets[b], ev.valid ? 1 : 0);
      valid += ev.valid ? 1 : 0;
      // The one-hot letters spell the string.
      let decoded = '';
      for (let t = 0; t < ev.string.length; t++) {
        const row = batch.x.subarray((t * B + b) * 7, (t * B + b + 1) * 7);
        assert.equal(
          row.reduce((a, c) => a + c, 0),
          1,
        );
        decoded += REBER_LETTERS[row.indexOf(1)];
      }
      assert.equal(decoded, ev.string);
    }
    assert.ok(valid / B > 0.45 && valid / B < 0.55, `valid fraction ${valid / B}`);
  });
});
