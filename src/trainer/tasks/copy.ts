/**
 * The copy (memory) problem: remember 10 symbols across T blank steps and replay them after a recall marker.
 *
 * Features F = 9, one-hot per step: 0..6 the symbols (alphabet of 7), 7 blank, 8 recall marker.
 * Classes O = 8: 0..6 the symbols, 7 blank. Loss: softmax cross-entropy in bits, mean per output step.
 *
 * Variant 'fixed' (default; K = 10):
 *   steps 0..9 the symbols, then T blanks (10..T+9), the recall marker at step T+10, then 10 blank steps
 *   (T+11..T+20) at which the model outputs the symbols: T + 21 steps, readout at the last K = 10.
 *   A model that knows nothing scores log2(7) = 2.807 bits.
 * Variant 'paper' (the authors' dataset script; K = T + 20, an output at every step):
 *   T + 20 steps; the recall marker at a random step r in 10..T+8 (the authors' 2S + randint(1, T) - S - 1);
 *   targets are blank everywhere except r+1..r+10, which hold the symbols. The loss is averaged over all
 *   T + 20 steps, so it is directly comparable with the paper's logs (a memoryless model that only learnt
 *   the blanks scores 10 log2(7) / (T + 20): 0.234 bits at T = 100, 0.0275 at T = 1000). Needs T >= 2.
 * Events: { symbols: the 10 symbols, recall: the marker's step, outputFrom: first step whose target is a symbol }.
 */
import type { Rng } from '../random.js';
import { generatedTask, type TaskDefinition, type TaskOptions } from './task.js';

export const COPY_SYMBOLS = 10;
export const COPY_ALPHABET = 7;
export const COPY_BLANK = 7;
export const COPY_MARKER = 8;

export type CopyEvents = { symbols: number[]; recall: number; outputFrom: number };

export const copyTask: TaskDefinition = {
  name: 'copy',
  summary: 'replay 10 symbols (alphabet 7) after T blanks and a recall marker (cross-entropy, bits)',
  options: {
    length: { kind: 'int', min: 2, max: 100_000, default: 100, doc: 'T, blank steps (the paper: 100 and 1000)' },
    variant: {
      kind: 'enum',
      values: ['fixed', 'paper'],
      default: 'fixed',
      doc: "'fixed': marker after exactly T blanks, 10 outputs; 'paper': random marker, an output every step",
    },
  },
  create: (options: TaskOptions, seed: number) => {
    const T = options.length as number;
    const S = COPY_SYMBOLS;
    const paper = options.variant === 'paper';
    const steps = paper ? 2 * S + T : 2 * S + T + 1;
    const K = paper ? steps : S;
    return generatedTask<CopyEvents>({
      name: 'copy',
      seed,
      options,
      sequenceSteps: steps,
      inputSize: COPY_ALPHABET + 2,
      outputSize: COPY_ALPHABET + 1,
      outputSteps: K,
      loss: 'softmax',
      metrics: ['loss', 'accuracy'],
      defaultTrainingSteps: 50_000,
      masked: false,
      sample(rng: Rng, out, b) {
        const symbols: number[] = [];
        for (let i = 0; i < S; i++) symbols.push(rng.int(COPY_ALPHABET));
        const recall = paper ? S + rng.int(T - 1) : S + T;
        for (let t = 0; t < steps; t++) {
          out.set(t, b, t < S ? symbols[t]! : t === recall ? COPY_MARKER : COPY_BLANK, 1);
        }
        // Output step k is time step steps - K + k.
        for (let k = 0; k < K; k++) {
          const t = steps - K + k;
          const i = t - recall - 1;
          out.setTarget(k, b, 0, i >= 0 && i < S ? symbols[i]! : COPY_BLANK);
        }
        out.finish(b, steps, { symbols, recall, outputFrom: recall + 1 });
      },
    });
  },
};
