/**
 * The flat parameter layout shared by every engine, and the authors' initialisation.
 *
 * Per layer l (input width I = F for l = 0, N above), in this order, row-major:
 *   rwa : Wu (I, N), bu (N), Wg (I+N, N), bg (N), Wa (I+N, N), s (N)
 *         rows 0..I-1 of Wg/Wa multiply x_t, rows I..I+N-1 multiply h_{t-1}; a has no bias; h_0 = tanh(s)
 *   lstm: W (I+N, 4N) with column blocks [i | f | g | o], b (4N) (forget block = 1); h_0 = c_0 = 0
 *         c_t = f*c_{t-1} + i*g, h_t = o*tanh(c_t)  (sigmoid i, f, o; tanh g)
 *   gru : Wzr (I+N, 2N) with column blocks [z | r], bzr (2N), Wh (I+N, N), bh (N); h_0 = 0
 *         h~ = tanh(Wh [x_t, r*h_{t-1}] + bh), h_t = (1-z)*h_{t-1} + z*h~
 *   rda : Wu (I, N), bu (N), Wg (I+N, N), bg (N), Wa (I+N, N), Wgamma (I+N, N), bgamma (N), s (N)
 *         RWA plus the discount gamma = sigmoid([x_t, h_{t-1}] Wgamma + bgamma) (Maginnis & Richemond); see rda.ts
 * then the readout: with spec.readout = 'attention' first Wa (N, N), Wc (2N, N) (rows 0..N-1 multiply the
 * context c_t, rows N..2N-1 multiply h_t), bc (N) (./attention.ts); then Wo (N, O), bo (O).
 *
 * Initialisation (Ostmeyer & Cowell): s ~ N(0,1); recurrent matrices ~ U(+-sqrt(6/(I+2N)));
 * Wu ~ U(+-sqrt(6/(I+N))); Wo, Wa, Wc ~ U(+-sqrt(6/(fan_in+fan_out))); biases 0 except the LSTM forget bias, 1,
 * and RDA's bgamma, 1: the discount gate plays the forget gate's role, and the same convention (gamma = sigmoid(1) ~ 0.73
 * at the start) lets early training keep a useful memory instead of halving it every step; the RDA paper's
 * setting for this bias was not found, so this is our choice, not the paper's.
 */
import { Rng } from '../random.js';
import type { ModelSpec } from '../engines/engine.js';

export type Init =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'normal' }
  | { kind: 'uniform'; limit: number }
  | { kind: 'lstmBias'; units: number };

export interface ParamTensor {
  /** e.g. `l0.Wg`, `out.Wo`. */
  name: string;
  layer: number | 'out';
  key: string;
  shape: number[];
  offset: number;
  size: number;
  init: Init;
}

export interface ParamLayout {
  tensors: ParamTensor[];
  total: number;
  byName: Map<string, ParamTensor>;
}

const glorot = (fanIn: number, fanOut: number): Init => ({ kind: 'uniform', limit: Math.sqrt(6 / (fanIn + fanOut)) });

export function paramLayout(spec: ModelSpec): ParamLayout {
  const N = spec.units;
  const tensors: ParamTensor[] = [];
  let offset = 0;
  const add = (layer: number | 'out', key: string, shape: number[], init: Init) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const name = `${layer === 'out' ? 'out' : `l${layer}`}.${key}`;
    tensors.push({ name, layer, key, shape, offset, size, init });
    offset += size;
  };
  for (let l = 0; l < spec.layers; l++) {
    const I = l === 0 ? spec.inputSize : N;
    switch (spec.cell) {
      case 'rwa':
        add(l, 'Wu', [I, N], glorot(I, N));
        add(l, 'bu', [N], { kind: 'zeros' });
        add(l, 'Wg', [I + N, N], glorot(I + N, N));
        add(l, 'bg', [N], { kind: 'zeros' });
        add(l, 'Wa', [I + N, N], glorot(I + N, N));
        add(l, 's', [N], { kind: 'normal' });
        break;
      case 'rda':
        add(l, 'Wu', [I, N], glorot(I, N));
        add(l, 'bu', [N], { kind: 'zeros' });
        add(l, 'Wg', [I + N, N], glorot(I + N, N));
        add(l, 'bg', [N], { kind: 'zeros' });
        add(l, 'Wa', [I + N, N], glorot(I + N, N));
        add(l, 'Wgamma', [I + N, N], glorot(I + N, N));
        add(l, 'bgamma', [N], { kind: 'ones' });
        add(l, 's', [N], { kind: 'normal' });
        break;
      case 'lstm':
        add(l, 'W', [I + N, 4 * N], glorot(I + N, N));
        add(l, 'b', [4 * N], { kind: 'lstmBias', units: N });
        break;
      case 'gru':
        add(l, 'Wzr', [I + N, 2 * N], glorot(I + N, N));
        add(l, 'bzr', [2 * N], { kind: 'zeros' });
        add(l, 'Wh', [I + N, N], glorot(I + N, N));
        add(l, 'bh', [N], { kind: 'zeros' });
        break;
    }
  }
  if (spec.readout === 'attention') {
    add('out', 'Wa', [N, N], glorot(N, N));
    add('out', 'Wc', [2 * N, N], glorot(2 * N, N));
    add('out', 'bc', [N], { kind: 'zeros' });
  }
  add('out', 'Wo', [N, spec.outputSize], glorot(N, spec.outputSize));
  add('out', 'bo', [spec.outputSize], { kind: 'zeros' });
  return { tensors, total: offset, byName: new Map(tensors.map((t) => [t.name, t])) };
}

/** Deterministic initial parameters for (spec, seed). */
export function initParams(spec: ModelSpec, seed: number): Float32Array {
  const layout = paramLayout(spec);
  const params = new Float32Array(layout.total);
  const rng = new Rng(seed, 0x1417);
  for (const t of layout.tensors) {
    const view = params.subarray(t.offset, t.offset + t.size);
    const init = t.init;
    switch (init.kind) {
      case 'zeros':
        break;
      case 'ones':
        view.fill(1);
        break;
      case 'normal':
        for (let i = 0; i < view.length; i++) view[i] = rng.normal();
        break;
      case 'uniform':
        for (let i = 0; i < view.length; i++) view[i] = rng.range(-init.limit, init.limit);
        break;
      case 'lstmBias':
        view.subarray(init.units, 2 * init.units).fill(1);
        break;
    }
  }
  return params;
}

/** A named view into the flat vector (no copy). */
export function paramView(params: Float32Array, layout: ParamLayout, name: string): Float32Array {
  const t = layout.byName.get(name);
  if (!t) throw new Error(`unknown parameter ${name}; known: ${[...layout.byName.keys()].join(', ')}`);
  return params.subarray(t.offset, t.offset + t.size);
}
