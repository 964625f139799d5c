/**
 * A plain float64 forward pass of every cell, written for clarity, not speed: the test oracle that
 * both engines are checked against (outputs directly; gradients through finite differences of
 * sum(outputs * dY)). Same parameter layout (./params.ts) and batch semantics (../engines/engine.ts).
 */
import type { ModelSpec, SequenceBatch } from '../engines/engine.js';
import { paramLayout, type ParamLayout } from './params.js';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Returns the outputs (K, B, O) and every layer's hidden sequence (T, B, N). */
export function referenceForward(
  spec: ModelSpec,
  params: ArrayLike<number>,
  batch: SequenceBatch,
  /** naiveRwa: the textbook (unstable) form of RWA and RDA instead of the running-max form. */
  options: { naiveRwa?: boolean } = {},
): { outputs: Float64Array; hidden: Float64Array[] } {
  const layout = paramLayout(spec);
  const { steps: T, batchSize: B } = batch;
  const N = spec.units;
  let input = Float64Array.from(batch.x);
  let I = spec.inputSize;
  const hidden: Float64Array[] = [];
  for (let l = 0; l < spec.layers; l++) {
    const out = new Float64Array(T * B * N);
    for (let b = 0; b < B; b++) {
      const cell = makeCell(spec, layout, params, l, I, options.naiveRwa ?? false);
      for (let t = 0; t < T; t++) {
        const live = batch.mask ? batch.mask[t * B + b]! !== 0 : true;
        const x = input.subarray((t * B + b) * I, (t * B + b + 1) * I);
        const h = live ? cell.step(x) : cell.h;
        out.set(h, (t * B + b) * N);
      }
    }
    hidden.push(out);
    input = out;
    I = N;
  }
  const K = spec.outputSteps;
  const O = spec.outputSize;
  const Wo = tensor(params, layout, 'out.Wo');
  const bo = tensor(params, layout, 'out.bo');
  const top = hidden[hidden.length - 1]!;
  const attend = spec.readout === 'attention' ? attention(spec, params, layout, batch, top) : undefined;
  const outputs = new Float64Array(K * B * O);
  for (let k = 0; k < K; k++) {
    const t = T - K + k;
    for (let b = 0; b < B; b++) {
      const h = attend ? attend(t, b) : top.subarray((t * B + b) * N, (t * B + b + 1) * N);
      for (let o = 0; o < O; o++) {
        let y = bo[o]!;
        for (let j = 0; j < N; j++) y += h[j]! * Wo[j * O + o]!;
        outputs[(k * B + b) * O + o] = y;
      }
    }
  }
  return { outputs, hidden };
}

/** ./attention.ts in loops: returns (t, b) => hTilde_t (N) of sequence b, to be read out by Wo, bo. */
function attention(
  spec: ModelSpec,
  params: ArrayLike<number>,
  layout: ParamLayout,
  batch: SequenceBatch,
  top: Float64Array,
): (t: number, b: number) => Float64Array {
  const N = spec.units;
  const B = batch.batchSize;
  const [Wa, Wc, bc] = ['out.Wa', 'out.Wc', 'out.bc'].map((name) => tensor(params, layout, name)) as Float64Array[];
  const h = (s: number, b: number) => top.subarray((s * B + b) * N, (s * B + b + 1) * N);
  return (t, b) => {
    const q = affine(h(t, b), Wa!, N, 0, N); // h_t^T Wa
    const keys: number[] = [];
    for (let s = 0; s <= t; s++) if (!batch.mask || batch.mask[s * B + b]! !== 0) keys.push(s);
    const scores = keys.map((s) => q.reduce((acc, v, j) => acc + v * h(s, b)[j]!, 0));
    const max = Math.max(...scores);
    const e = scores.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, v) => a + v, 0);
    const c = new Float64Array(N); // stays 0 for a sequence of length 0
    keys.forEach((s, i) => {
      for (let j = 0; j < N; j++) c[j] = c[j]! + (e[i]! / sum) * h(s, b)[j]!;
    });
    return affine(concat(c, h(t, b)), Wc!, N, 0, N, bc).map(Math.tanh);
  };
}

function tensor(params: ArrayLike<number>, layout: ParamLayout, name: string): Float64Array {
  const t = layout.byName.get(name);
  if (!t) throw new Error(`unknown parameter ${name}`);
  return Float64Array.from(Array.prototype.slice.call(params, t.offset, t.offset + t.size) as number[]);
}

/** xh (I+N) @ W (I+N, cols) for columns [c0, c0+n) of a row-major matrix with `cols` columns. */
function affine(xh: Float64Array, W: Float64Array, cols: number, c0: number, n: number, bias?: Float64Array, b0 = 0) {
  const r = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let acc = bias ? bias[b0 + j]! : 0;
    for (let i = 0; i < xh.length; i++) acc += xh[i]! * W[i * cols + c0 + j]!;
    r[j] = acc;
  }
  return r;
}

function concat(x: Float64Array, h: Float64Array): Float64Array {
  const xh = new Float64Array(x.length + h.length);
  xh.set(x);
  xh.set(h, x.length);
  return xh;
}

interface Cell {
  h: Float64Array;
  step(x: Float64Array): Float64Array;
}

function makeCell(
  spec: ModelSpec,
  layout: ParamLayout,
  params: ArrayLike<number>,
  l: number,
  I: number,
  naiveRwa: boolean,
): Cell {
  const N = spec.units;
  const p = (key: string) => tensor(params, layout, `l${l}.${key}`);
  switch (spec.cell) {
    case 'rwa': {
      const [Wu, bu, Wg, bg, Wa, s] = ['Wu', 'bu', 'Wg', 'bg', 'Wa', 's'].map(p) as Float64Array[];
      const n = new Float64Array(N);
      const d = new Float64Array(N);
      const m = new Float64Array(N).fill(-1e38);
      const cell: Cell = {
        h: s!.map(Math.tanh),
        step(x) {
          const xh = concat(x, cell.h);
          const u = affine(x, Wu!, N, 0, N, bu);
          const g = affine(xh, Wg!, N, 0, N, bg);
          const a = affine(xh, Wa!, N, 0, N);
          const h = new Float64Array(N);
          for (let j = 0; j < N; j++) {
            const z = u[j]! * Math.tanh(g[j]!);
            if (naiveRwa) {
              n[j] = n[j]! + z * Math.exp(a[j]!);
              d[j] = d[j]! + Math.exp(a[j]!);
            } else {
              const mNew = Math.max(m[j]!, a[j]!);
              const scalePrev = Math.exp(m[j]! - mNew);
              const w = Math.exp(a[j]! - mNew);
              n[j] = n[j]! * scalePrev + z * w;
              d[j] = d[j]! * scalePrev + w;
              m[j] = mNew;
            }
            h[j] = Math.tanh(n[j]! / d[j]!);
          }
          cell.h = h;
          return h;
        },
      };
      return cell;
    }
    case 'rda': {
      // RWA with the discount gamma (./rda.ts); stable: log gamma folded into the running max m.
      const [Wu, bu, Wg, bg, Wa, Wgamma, bgamma, s] = ['Wu', 'bu', 'Wg', 'bg', 'Wa', 'Wgamma', 'bgamma', 's'].map(
        p,
      ) as Float64Array[];
      const n = new Float64Array(N);
      const d = new Float64Array(N);
      const m = new Float64Array(N).fill(-1e38);
      const cell: Cell = {
        h: s!.map(Math.tanh),
        step(x) {
          const xh = concat(x, cell.h);
          const u = affine(x, Wu!, N, 0, N, bu);
          const g = affine(xh, Wg!, N, 0, N, bg);
          const a = affine(xh, Wa!, N, 0, N);
          const pg = affine(xh, Wgamma!, N, 0, N, bgamma);
          const h = new Float64Array(N);
          for (let j = 0; j < N; j++) {
            const z = u[j]! * Math.tanh(g[j]!);
            if (naiveRwa) {
              const gamma = sigmoid(pg[j]!);
              n[j] = gamma * n[j]! + z * Math.exp(a[j]!);
              d[j] = gamma * d[j]! + Math.exp(a[j]!);
            } else {
              const logGamma = Math.min(pg[j]!, 0) - Math.log1p(Math.exp(-Math.abs(pg[j]!))); // -softplus(-pg)
              const carried = m[j]! + logGamma;
              const mNew = Math.max(carried, a[j]!);
              const scalePrev = Math.exp(carried - mNew);
              const w = Math.exp(a[j]! - mNew);
              n[j] = n[j]! * scalePrev + z * w;
              d[j] = d[j]! * scalePrev + w;
              m[j] = mNew;
            }
            h[j] = Math.tanh(n[j]! / d[j]!);
          }
          cell.h = h;
          return h;
        },
      };
      return cell;
    }
    case 'lstm': {
      const [W, b] = ['W', 'b'].map(p) as Float64Array[];
      const c = new Float64Array(N);
      const cell: Cell = {
        h: new Float64Array(N),
        step(x) {
          const z = affine(concat(x, cell.h), W!, 4 * N, 0, 4 * N, b);
          const h = new Float64Array(N);
          for (let j = 0; j < N; j++) {
            const i = sigmoid(z[j]!);
            const f = sigmoid(z[N + j]!);
            const g = Math.tanh(z[2 * N + j]!);
            const o = sigmoid(z[3 * N + j]!);
            c[j] = f * c[j]! + i * g;
            h[j] = o * Math.tanh(c[j]!);
          }
          cell.h = h;
          return h;
        },
      };
      return cell;
    }
    case 'gru': {
      const [Wzr, bzr, Wh, bh] = ['Wzr', 'bzr', 'Wh', 'bh'].map(p) as Float64Array[];
      const cell: Cell = {
        h: new Float64Array(N),
        step(x) {
          const zr = affine(concat(x, cell.h), Wzr!, 2 * N, 0, 2 * N, bzr);
          const rh = new Float64Array(N);
          for (let j = 0; j < N; j++) rh[j] = sigmoid(zr[N + j]!) * cell.h[j]!;
          const hTilde = affine(concat(x, rh), Wh!, N, 0, N, bh);
          const h = new Float64Array(N);
          for (let j = 0; j < N; j++) {
            const z = sigmoid(zr[j]!);
            h[j] = (1 - z) * cell.h[j]! + z * Math.tanh(hTilde[j]!);
          }
          cell.h = h;
          return h;
        },
      };
      return cell;
    }
  }
}

/**
 * Central finite-difference gradient of sum(outputs * dY) with respect to every parameter, in float64.
 * O(P) forward passes: only for tiny models.
 */
export function finiteDifferenceGradient(
  spec: ModelSpec,
  params: ArrayLike<number>,
  batch: SequenceBatch,
  dY: ArrayLike<number>,
  eps = 1e-6,
): Float64Array {
  const p = Float64Array.from(Array.prototype.slice.call(params) as number[]);
  const objective = () => {
    const { outputs } = referenceForward(spec, p, batch);
    let s = 0;
    for (let i = 0; i < outputs.length; i++) s += outputs[i]! * dY[i]!;
    return s;
  };
  const grad = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const orig = p[i]!;
    p[i] = orig + eps;
    const plus = objective();
    p[i] = orig - eps;
    const minus = objective();
    p[i] = orig;
    grad[i] = (plus - minus) / (2 * eps);
  }
  return grad;
}
