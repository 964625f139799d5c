/** Shared fixtures for the model and tfjs engine tests: tiny specs, seeded batches with masks, comparisons. */
import assert from 'node:assert/strict';
import type { CellKind, ModelSpec, SequenceBatch } from '../../src/trainer/engines/engine.js';
import { Rng } from '../../src/trainer/random.js';

export function tinySpec(cell: CellKind, over: Partial<ModelSpec> = {}): ModelSpec {
  return { cell, inputSize: 3, units: 4, layers: 2, outputSize: 2, outputSteps: 3, ...over };
}

/** Time-major random inputs; `lengths[b]` real steps per sequence (mask omitted when undefined). */
export function randomBatch(spec: ModelSpec, T: number, B: number, seed: number, lengths?: number[]): SequenceBatch {
  const rng = new Rng(seed, 7);
  const x = new Float32Array(T * B * spec.inputSize).map(() => rng.range(-1, 1));
  if (!lengths) return { steps: T, batchSize: B, x };
  const mask = new Float32Array(T * B);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) mask[t * B + b] = t < lengths[b]! ? 1 : 0;
  return { steps: T, batchSize: B, x, mask };
}

export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const rng = new Rng(seed, 11);
  return new Float32Array(n).map(() => rng.range(-scale, scale));
}

/** max |a - b| / max(1, max |b|): one scale-aware number to hold against a stated tolerance. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'length mismatch');
  let maxDiff = 0;
  let maxRef = 1;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    maxRef = Math.max(maxRef, Math.abs(b[i]!));
  }
  return Number.isNaN(maxDiff) ? Infinity : maxDiff / maxRef;
}

export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  const err = relError(a, b);
  assert.ok(err <= tol, `${what}: relative error ${err.toExponential(2)} > ${tol}`);
}
