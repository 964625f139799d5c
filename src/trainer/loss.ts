/**
 * Losses and metrics, computed in TypeScript from the model's outputs, the same for every engine.
 *
 *   const { loss, dOutputs, accuracy } = computeLoss(task.loss, outputs, batch.targets, { K, B, O });
 *
 * outputs and dOutputs are (K, B, O); targets as in tasks/task.ts: (K, B, O) values for 'mse' and
 * 'sigmoid', (K, B) class indices for 'softmax'. The reported loss is a mean:
 * - mse: mean over K*B*O of (y - target)^2.
 * - softmax: cross-entropy in bits (as the paper), mean over the K*B predictions:
 *   (logsumexp(y) - y[c]) / ln 2, computed with the max subtracted.
 * - sigmoid: binary cross-entropy in bits, mean over K*B*O: (softplus(y) - target*y) / ln 2, with
 *   softplus(y) = max(y, 0) + log1p(exp(-|y|)), finite for any finite y.
 * dOutputs is the exact gradient of that reported number (so the 1/ln 2 and the 1/count are in it).
 * accuracy (classification only) is the fraction of the K*B (softmax: argmax = class) or K*B*O
 * (sigmoid: y > 0 iff target > 0.5) predictions that are right; `count` is that denominator, for
 * averaging over several batches. Sums run in float64.
 */
import type { LossKind } from './tasks/task.js';

export interface LossShape {
  K: number;
  B: number;
  O: number;
}

export interface LossResult {
  loss: number;
  /** (K, B, O): dLoss/dOutputs. */
  dOutputs: Float32Array;
  /** Classification only: fraction of correct predictions. */
  accuracy?: number;
  /** Predictions the mean runs over. */
  count: number;
}

const LN2 = Math.LN2;

export function computeLoss(
  kind: LossKind,
  outputs: Float32Array,
  targets: Float32Array,
  { K, B, O }: LossShape,
): LossResult {
  const size = K * B * O;
  if (outputs.length !== size) throw new RangeError(`outputs: expected K*B*O = ${size} values, got ${outputs.length}`);
  const targetSize = kind === 'softmax' ? K * B : size;
  if (targets.length !== targetSize)
    throw new RangeError(`targets (${kind}): expected ${targetSize} values, got ${targets.length}`);
  const dOutputs = new Float32Array(size);

  switch (kind) {
    case 'mse': {
      let sum = 0;
      for (let i = 0; i < size; i++) {
        const e = outputs[i]! - targets[i]!;
        sum += e * e;
        dOutputs[i] = (2 * e) / size;
      }
      return { loss: sum / size, dOutputs, count: size };
    }
    case 'softmax': {
      const n = K * B;
      let sum = 0;
      let correct = 0;
      for (let r = 0; r < n; r++) {
        const y = outputs.subarray(r * O, (r + 1) * O);
        const c = targets[r]!;
        if (!Number.isInteger(c) || c < 0 || c >= O)
          throw new RangeError(`softmax target ${r} must be a class index in 0..${O - 1}, got ${c}`);
        let max = -Infinity;
        let argmax = 0;
        for (let o = 0; o < O; o++) {
          if (y[o]! > max) {
            max = y[o]!;
            argmax = o;
          }
        }
        let z = 0;
        for (let o = 0; o < O; o++) z += Math.exp(y[o]! - max);
        const logZ = max + Math.log(z);
        sum += logZ - y[c]!;
        if (argmax === c) correct++;
        const scale = 1 / (n * LN2);
        for (let o = 0; o < O; o++) dOutputs[r * O + o] = (Math.exp(y[o]! - logZ) - (o === c ? 1 : 0)) * scale;
      }
      return { loss: sum / (n * LN2), dOutputs, accuracy: correct / n, count: n };
    }
    case 'sigmoid': {
      let sum = 0;
      let correct = 0;
      const scale = 1 / (size * LN2);
      for (let i = 0; i < size; i++) {
        const y = outputs[i]!;
        const t = targets[i]!;
        sum += Math.max(y, 0) + Math.log1p(Math.exp(-Math.abs(y))) - t * y;
        const p = y >= 0 ? 1 / (1 + Math.exp(-y)) : Math.exp(y) / (1 + Math.exp(y));
        dOutputs[i] = (p - t) * scale;
        if (y > 0 === t > 0.5) correct++;
      }
      return { loss: sum / (size * LN2), dOutputs, accuracy: correct / size, count: size };
    }
  }
}
