/**
 * Losses: hand-computed values, gradients against finite differences, stability at extreme logits.
 *   npx tsc -p . && node --test dist/test/loss.test.js
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeLoss } from '../src/trainer/loss.js';
import { Rng } from '../src/trainer/random.js';
import type { LossKind } from '../src/trainer/tasks/task.js';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
const f32 = (a: number[]) => Float32Array.from(a);

/** Central differences of the loss, in float64 through float32 inputs (eps large enough for float32). */
function checkGradient(kind: LossKind, K: number, B: number, O: number, targets: Float32Array, seed: number) {
  const rng = new Rng(seed);
  const y = Float32Array.from({ length: K * B * O }, () => rng.range(-3, 3));
  const { dOutputs } = computeLoss(kind, y, targets, { K, B, O });
  const eps = 1e-2;
  for (let i = 0; i < y.length; i++) {
    const p = Float32Array.from(y);
    const m = Float32Array.from(y);
    p[i] = y[i]! + eps;
    m[i] = y[i]! - eps;
    const numeric =
      (computeLoss(kind, p, targets, { K, B, O }).loss - computeLoss(kind, m, targets, { K, B, O }).loss) /
      (p[i]! - m[i]!);
    assert.ok(Math.abs(numeric - dOutputs[i]!) < 1e-4 * Math.max(1, Math.abs(numeric)), `${kind} d[${i}]`);
  }
}

describe('mse', () => {
  it('is the mean squared error over K*B*O, with gradient 2(y - t)/count', () => {
    const r = computeLoss('mse', f32([1, 2, 3, 4]), f32([1, 0, 3, 2]), { K: 1, B: 2, O: 2 });
    close(r.loss, (0 + 4 + 0 + 4) / 4);
    assert.deepEqual(Array.from(r.dOutputs), [0, 1, 0, 1]);
    assert.equal(r.accuracy, undefined);
    assert.equal(r.count, 4);
  });
  it('matches finite differences', () =>
    checkGradient('mse', 2, 3, 2, f32([0.1, 1, -1, 2, 0.5, 0, 3, 1, 1, 1, 0, 0]), 1));
});

describe('softmax cross-entropy in bits', () => {
  it('is log2(O) for equal logits and 0 bits for a confident right answer', () => {
    const uniform = computeLoss('softmax', new Float32Array(8), f32([3]), { K: 1, B: 1, O: 8 });
    close(uniform.loss, 3);
    const sure = computeLoss('softmax', f32([100, 0, 0]), f32([0]), { K: 1, B: 1, O: 3 });
    close(sure.loss, 0, 1e-12);
    assert.equal(sure.accuracy, 1);
  });
  it('matches a hand-computed case, averaged over K*B', () => {
    // Two predictions: logits [0, ln 3] target 1 -> -log2(3/4); logits [2, 0] target 1 -> log2(1 + e^2).
    const r = computeLoss('softmax', f32([0, Math.log(3), 2, 0]), f32([1, 1]), { K: 2, B: 1, O: 2 });
    close(r.loss, (-Math.log2(3 / 4) + Math.log2(1 + Math.exp(2))) / 2, 1e-6);
    assert.equal(r.accuracy, 0.5);
    // d/dy = (softmax - onehot) / (count ln 2)
    close(r.dOutputs[0]!, 0.25 / (2 * Math.LN2));
    close(r.dOutputs[1]!, -0.25 / (2 * Math.LN2));
  });
  it('matches finite differences', () => checkGradient('softmax', 2, 3, 4, f32([0, 3, 1, 2, 2, 0]), 2));
  it('stays finite for huge logits', () => {
    const r = computeLoss('softmax', f32([1e30, -1e30, 0]), f32([1]), { K: 1, B: 1, O: 3 });
    assert.ok(Number.isFinite(r.loss) && r.dOutputs.every(Number.isFinite));
    close(r.loss, 2e30 / Math.LN2, 1e24);
  });
  it('rejects targets that are not class indices', () => {
    assert.throws(() => computeLoss('softmax', new Float32Array(3), f32([3]), { K: 1, B: 1, O: 3 }), /0\.\.2, got 3/);
    assert.throws(() => computeLoss('softmax', new Float32Array(3), f32([0, 1]), { K: 1, B: 1, O: 3 }), /expected 1/);
  });
});

describe('sigmoid cross-entropy in bits', () => {
  it('is 1 bit at y = 0 and matches a hand-computed case', () => {
    close(computeLoss('sigmoid', f32([0, 0]), f32([0, 1]), { K: 1, B: 2, O: 1 }).loss, 1);
    // y = 2, t = 1: -log2(sigmoid(2)); y = 1, t = 0: -log2(1 - sigmoid(1)).
    const r = computeLoss('sigmoid', f32([2, 1]), f32([1, 0]), { K: 1, B: 2, O: 1 });
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    close(r.loss, (-Math.log2(s(2)) - Math.log2(1 - s(1))) / 2);
    assert.equal(r.accuracy, 0.5);
  });
  it('matches finite differences', () => checkGradient('sigmoid', 1, 5, 2, f32([1, 0, 0, 1, 1, 1, 0, 0, 0.5, 1]), 3));
  it('stays finite for extreme logits', () => {
    const r = computeLoss('sigmoid', f32([-1e4, 1e4, 800]), f32([1, 0, 1]), { K: 1, B: 3, O: 1 });
    close(r.loss, 2e4 / (3 * Math.LN2), 1e-6);
    assert.ok(r.dOutputs.every(Number.isFinite));
    close(r.dOutputs[0]!, -1 / (3 * Math.LN2));
    close(r.dOutputs[2]!, 0);
  });
});
