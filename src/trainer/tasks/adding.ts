/**
 * The adding problem (Hochreiter & Schmidhuber 1997; the paper's T = 100 and 1000).
 *
 * x (T, B, 2): channel 0 a value ~ U[0, 1), channel 1 a marker that is 1 at exactly two steps.
 * target (1, B, 1): the sum of the two marked values. Loss MSE; predicting the mean (1) scores ~0.167.
 *
 * Marker placement, option `markers`:
 * - 'anywhere' (default): two distinct steps uniform over 0..T-1, as the authors' dataset script does
 *   (it redraws j1, j2 until they differ). The gap can be 1 step; the first marker can be late.
 * - 'halves': one marker uniform in the first half, one in the second (Le et al. 2015 style; longer gaps).
 * Events: { markers: [first, second] (ascending), values: the two marked values, target }.
 */
import type { Rng } from '../random.js';
import { generatedTask, type TaskDefinition, type TaskOptions } from './task.js';

export type AddingEvents = { markers: number[]; values: number[]; target: number };

export const addingTask: TaskDefinition = {
  name: 'adding',
  summary: 'sum of the two marked values of a U[0,1) sequence (MSE)',
  options: {
    length: { kind: 'int', min: 2, max: 100_000, default: 100, doc: 'T, time steps (the paper: 100 and 1000)' },
    markers: {
      kind: 'enum',
      values: ['anywhere', 'halves'],
      default: 'anywhere',
      doc: "'anywhere': two distinct uniform steps (the authors'); 'halves': one per half",
    },
  },
  create: (options: TaskOptions, seed: number) => {
    const T = options.length as number;
    const halves = options.markers === 'halves';
    return generatedTask<AddingEvents>({
      name: 'adding',
      seed,
      options,
      sequenceSteps: T,
      inputSize: 2,
      outputSize: 1,
      outputSteps: 1,
      loss: 'mse',
      metrics: ['loss'],
      defaultTrainingSteps: 50_000,
      masked: false,
      sample(rng: Rng, out, b) {
        const values = new Float32Array(T);
        for (let t = 0; t < T; t++) values[t] = rng.uniform();
        let j1: number;
        let j2: number;
        if (halves) {
          const half = Math.floor(T / 2);
          j1 = rng.int(half);
          j2 = half + rng.int(T - half);
        } else {
          j1 = rng.int(T);
          j2 = rng.int(T - 1);
          if (j2 >= j1) j2++; // uniform over pairs of distinct steps
          if (j2 < j1) [j1, j2] = [j2, j1];
        }
        for (let t = 0; t < T; t++) out.set(t, b, 0, values[t]!);
        out.set(j1, b, 1, 1);
        out.set(j2, b, 1, 1);
        const target = Math.fround(values[j1]! + values[j2]!);
        out.setTarget(0, b, 0, target);
        out.finish(b, T, { markers: [j1, j2], values: [values[j1]!, values[j2]!], target });
      },
    });
  },
};
