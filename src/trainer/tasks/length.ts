/**
 * Classifying by sequence length: is the sequence longer than half the maximum?
 *
 * x (T, B, 1) and mask (T, B): the first l steps carry values, the rest are zero and masked (state frozen).
 * target (1, B, 1): 1 if l > T/2 else 0. Loss: sigmoid cross-entropy in bits; accuracy.
 *
 * Variants:
 * - 'paper' (default, T = 100): values ~ U[0, 1). The authors draw l ~ randint(0, T), label round(l/T)
 *   (numpy rounds 0.5 to 0, so label = l > T/2).
 * - 'article' (default T = 1000): values ~ N(0, 1), label = l > 500, as the Keras article (length 0..1000).
 * Both draw l uniformly from 1..T: a sequence has at least one real step (an all-masked sequence would
 * only ever read the initial state, and engines need not special-case it), and with even T the two labels
 * are exactly balanced (l in 1..T/2 vs T/2+1..T). This differs from the authors only in excluding l = 0
 * and including l = T.
 * Events: { length: l, threshold: T/2, label }.
 */
import type { Rng } from '../random.js';
import { generatedTask, type TaskDefinition, type TaskOptions } from './task.js';

export type LengthEvents = { length: number; threshold: number; label: number };

export const lengthTask: TaskDefinition = {
  name: 'length',
  summary: 'is the sequence longer than T/2? masked variable-length batches (sigmoid cross-entropy, bits)',
  options: {
    variant: {
      kind: 'enum',
      values: ['paper', 'article'],
      default: 'paper',
      doc: "'paper': U[0,1) values, T = 100 by default; 'article': N(0,1) values, T = 1000 by default",
    },
    length: {
      kind: 'int',
      min: 2,
      max: 100_000,
      default: (resolved) => (resolved.variant === 'article' ? 1000 : 100),
      doc: 'T, the maximum length (the paper: 100 and 1000; the article: 1000)',
    },
  },
  create: (options: TaskOptions, seed: number) => {
    const T = options.length as number;
    const gaussian = options.variant === 'article';
    return generatedTask<LengthEvents>({
      name: 'length',
      seed,
      options,
      sequenceSteps: T,
      inputSize: 1,
      outputSize: 1,
      outputSteps: 1,
      loss: 'sigmoid',
      metrics: ['loss', 'accuracy'],
      defaultTrainingSteps: 20_000,
      masked: true,
      sample(rng: Rng, out, b) {
        const l = 1 + rng.int(T);
        for (let t = 0; t < l; t++) out.set(t, b, 0, gaussian ? rng.normal() : rng.uniform());
        const label = 2 * l > T ? 1 : 0;
        out.setTarget(0, b, 0, label);
        out.finish(b, l, { length: l, threshold: T / 2, label });
      },
    });
  },
};
