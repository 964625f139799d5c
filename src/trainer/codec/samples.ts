/**
 * Snapshots to test and measure the codec on (not used in training).
 * - randomWalkSnapshot: each unit a Gaussian random walk reflected into [-1, 1]. With sigma = 0.035 the
 *   naive uint8 + time-delta + deflate encoding of a 1000 x 250 snapshot takes ~139 KB, the issue's
 *   reference figure; increments are independent, so this is close to the hardest smooth case.
 * - rwaSnapshot: h_t of a real RWA (float64 reference forward pass, the authors' initialisation) on one
 *   adding-task sample; `gain` multiplies W_g and W_a to get livelier, less averaged dynamics.
 */
import type { ModelSpec } from '../engines/engine.js';
import { initParams, paramLayout, paramView } from '../models/params.js';
import { referenceForward } from '../models/reference.js';
import { Rng } from '../random.js';
import { createTask } from '../tasks/index.js';

export function randomWalkSnapshot(T: number, N: number, sigma = 0.035, seed = 1): Float32Array {
  const rng = new Rng(seed, 0x7277);
  const h = new Float32Array(T * N); // (T, N)
  const w = Float64Array.from({ length: N }, () => rng.range(-1, 1));
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < N; j++) {
      let v = w[j]! + sigma * rng.normal();
      if (v > 1) v = 2 - v;
      if (v < -1) v = -2 - v;
      w[j] = v;
      h[t * N + j] = v;
    }
  }
  return h;
}

export function rwaSnapshot(T: number, N: number, seed = 1, gain = 1): Float32Array {
  const spec: ModelSpec = { cell: 'rwa', inputSize: 2, units: N, layers: 1, outputSize: 1, outputSteps: 1 };
  const params = initParams(spec, seed);
  const layout = paramLayout(spec);
  for (const name of ['l0.Wg', 'l0.Wa']) {
    const view = paramView(params, layout, name);
    for (let i = 0; i < view.length; i++) view[i] = view[i]! * gain;
  }
  const batch = createTask('adding', { length: T }, seed).testSet(1);
  return Float32Array.from(referenceForward(spec, params, batch).hidden[0]!); // (T, 1, N) = (T, N)
}
