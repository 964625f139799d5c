/**
 * The cells as the tfjs engine runs them: the same maths as ../../models/{rwa,lstm,gru,rda}.ts, arranged for
 * speed on wasm and each paired with its hand-written backward step. The layer loop (./model.ts) does
 * masking, stacking and the weight gradients, which are large products over many steps, not one per step.
 *
 * Vocabulary
 * - x1: the layer input with a column of ones appended, (B, I+1), so biases ride along in the products.
 * - weight group: a matrix [block | block ...] with rows [x; bias; hSrc], (I+1(+N), C), applied to the
 *   group's operand [x1, hSrc] (hPrev, or r * hPrev for the GRU's candidate); a block without a bias (RWA's
 *   Wa) has a zero bias row. Forward uses one product per N-column part (RWA's [g | a], the LSTM's
 *   [i | f | g | o]): slicing a (B, C) result into parts costs more on wasm than the extra products.
 * - dPre: a group's pre-activation gradient (B, C); dPre^T @ operand over all steps is the whole gradient
 *   of the group's matrix and biases.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface WeightGroup {
  /** Parameter keys whose matrices are concatenated by columns, with the bias of each block if it has one. */
  blocks: { key: string; bias?: string }[];
  /** true: the operand has recurrent rows (hSrc) below [x, 1]. */
  recurrent: boolean;
}

/** One layer's weights, cut from the flat vector once per parameter version and reused by backward. */
export interface LayerWeights {
  /** Per group k and N-column part j: the rows [x; bias; hSrc] of that part, (I+1(+N), N). */
  parts: tf.Tensor2D[][];
  /** Per group, transposed rows for backward: x rows (C, I) (only when dx is needed) and hSrc rows (C, N). */
  WxT: (tf.Tensor2D | undefined)[];
  WhT: (tf.Tensor2D | undefined)[];
  /** This layer's raw parameters by key (`Wg`, `s`, ...). */
  raw: Map<string, tf.Tensor>;
  ops: Kernels;
}

/** Elementwise helpers whose fastest form depends on the back end; constants are made once per model. */
export interface Kernels {
  tanh(v: tf.Tensor): tf.Tensor2D;
  /** e^v for v <= 0. */
  expNonPos(v: tf.Tensor): tf.Tensor2D;
  /** 1 - v (a JS number in an op would be uploaded as a new tensor on every call). */
  oneMinus(v: tf.Tensor): tf.Tensor2D;
  dispose(): void;
}

/**
 * `plain`: tf.tanh and tf.exp. `sigmoid`, for wasm, where tanh and exp are scalar loops (~1 ms per (100, 250))
 * while sigmoid is vectorised (~0.05 ms): tanh(v) = 2 sigmoid(2v) - 1 and e^v = sigmoid(v) / (1 - sigmoid(v)),
 * accurate to a few float32 ulps in absolute terms (v <= 0 keeps 1 - sigmoid(v) >= 0.5: no cancellation).
 */
export function makeKernels(kind: 'plain' | 'sigmoid'): Kernels {
  const one = tf.keep(tf.scalar(1));
  const oneMinus = (v: tf.Tensor) => tf.sub(one, v) as tf.Tensor2D;
  const dispose = () => one.dispose();
  if (kind === 'plain')
    return { tanh: (v) => tf.tanh(v) as tf.Tensor2D, expNonPos: (v) => tf.exp(v) as tf.Tensor2D, oneMinus, dispose };
  return {
    tanh: (v) => {
      const s = tf.sigmoid(tf.add(v, v));
      return tf.sub(tf.add(s, s), one) as tf.Tensor2D;
    },
    expNonPos: (v) => {
      const s = tf.sigmoid(v);
      return tf.div(s, oneMinus(s)) as tf.Tensor2D;
    },
    oneMinus,
    dispose,
  };
}

export interface StepForward {
  /** New states as if the step were live (state 0 is h); the layer loop applies the mask. */
  state: tf.Tensor2D[];
  /** What backward needs. */
  cache: tf.Tensor2D[];
  /** Per group, hSrc of the weight gradient's operand [x, 1, hSrc] (undefined for input-only groups). */
  operands: (tf.Tensor2D | undefined)[];
}

export interface StepBackward {
  /** Gradients w.r.t. the previous states that carry gradient (the first `gradStates`). */
  dPrev: tf.Tensor2D[];
  /** Per group, dLoss/dPre (B, C). */
  dPre: tf.Tensor2D[];
}

export interface FusedCell {
  groups: WeightGroup[];
  /** States [0, gradStates) carry gradient; the rest (RWA's running max) do not. */
  gradStates: number;
  /** Which previous states backward reads (through the cache); the rest can be freed as soon as used. */
  keepStates: boolean[];
  initialState(w: LayerWeights, B: number, N: number): tf.Tensor2D[];
  /** x1: the input with its ones column, (B, I+1). */
  forward(w: LayerWeights, x1: tf.Tensor2D, state: tf.Tensor2D[]): StepForward;
  /** dNew: gradients w.r.t. this step's new (unmasked) states. */
  backward(w: LayerWeights, cache: tf.Tensor2D[], dNew: tf.Tensor2D[]): StepBackward;
  /** Gradients of parameters that only act through the initial state, from dLoss/dState_0. */
  initialGrads(w: LayerWeights, dState0: tf.Tensor2D[]): Map<string, tf.Tensor>;
}

/** Part j of group k's pre-activation, operand @ part, (B, N). */
const pre = (w: LayerWeights, k: number, j: number, operand: tf.Tensor2D): tf.Tensor2D =>
  tf.matMul(operand, w.parts[k]![j]!);
const cat = (a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D => tf.concat([a, b], 1);
const raw = (w: LayerWeights, key: string) => w.raw.get(key)!;
/** 1 - v^2: the derivative of tanh from its output. */
const dTanh = (w: LayerWeights, v: tf.Tensor2D) => w.ops.oneMinus(tf.square(v));
/** v (1 - v): the derivative of sigmoid from its output. */
const dSigmoid = (w: LayerWeights, v: tf.Tensor2D) => tf.mul(v, w.ops.oneMinus(v)) as tf.Tensor2D;

/**
 * RWA, states [h, n, d, aMax]. Gradients treat aMax as a constant: h depends on n/d only, and a common
 * rescaling of n and d by e^{-aMax} leaves it unchanged, so the exact derivative through aMax is zero.
 */
export const rwa: FusedCell = {
  groups: [
    { blocks: [{ key: 'Wu', bias: 'bu' }], recurrent: false },
    { blocks: [{ key: 'Wg', bias: 'bg' }, { key: 'Wa' }], recurrent: true },
  ],
  gradStates: 3,
  keepStates: [true, false, false, false],
  initialState: (w, B, N) => [
    tf.tile(tf.reshape(tf.tanh(raw(w, 's')), [1, N]), [B, 1]),
    tf.zeros([B, N]),
    tf.zeros([B, N]),
    tf.fill([B, N], -1e38),
  ],
  forward(w, x1, [hPrev, n, d, aMax]) {
    const { tanh, expNonPos } = w.ops;
    const xh1 = cat(x1, hPrev!); // (B, I+1+N)
    const u = pre(w, 0, 0, x1); // (B, N)
    const tg = tanh(pre(w, 1, 0, xh1)); // (B, N) tanh(g)
    const a = pre(w, 1, 1, xh1); // (B, N)
    // aNew = max(aMax, a) as a + relu(aMax - a): exact even for aMax = -1e38, and relu is cheap where max is not.
    const below = tf.sub(aMax!, a) as tf.Tensor2D; // (B, N)
    const lift = tf.relu(below) as tf.Tensor2D; // (B, N) aNew - a >= 0
    const aNew = tf.add(a, lift) as tf.Tensor2D; // (B, N)
    const scalePrev = expNonPos(tf.sub(below, lift)); // (B, N) e^{aMax - aNew}
    const wt = expNonPos(tf.neg(lift)); // (B, N) e^{a - aNew}
    const nNew = tf.add(tf.mul(n!, scalePrev), tf.mul(tf.mul(u, tg), wt)) as tf.Tensor2D; // (B, N)
    const dNew = tf.add(tf.mul(d!, scalePrev), wt) as tf.Tensor2D; // (B, N)
    const invD = tf.reciprocal(dNew) as tf.Tensor2D; // (B, N)
    const r = tf.mul(nNew, invD) as tf.Tensor2D; // (B, N)
    const h = tanh(r); // (B, N)
    return { state: [h, nNew, dNew, aNew], cache: [u, tg, wt, scalePrev, invD, r, h], operands: [undefined, hPrev!] };
  },
  backward(w, [u, tg, wt, scalePrev, invD, r, h], [dh, dn, dd]) {
    const q = tf.mul(tf.mul(dh!, dTanh(w, h!)), invD!); // (B, N) dLoss/dn through h = tanh(n/d)
    const dnNew = tf.add(dn!, q); // (B, N)
    const ddNew = tf.sub(dd!, tf.mul(q, r!)); // (B, N)
    const dz = tf.mul(dnNew, wt!); // (B, N)
    const da = tf.mul(tf.add(tf.mul(dnNew, tf.mul(u!, tg!)), ddNew), wt!) as tf.Tensor2D; // (B, N)
    const du = tf.mul(dz, tg!) as tf.Tensor2D; // (B, N)
    const dg = tf.mul(tf.mul(dz, u!), dTanh(w, tg!)) as tf.Tensor2D; // (B, N)
    const dGA = tf.concat([dg, da], 1); // (B, 2N)
    const dhPrev = tf.matMul(dGA, w.WhT[1]!); // (B, N)
    return { dPrev: [dhPrev, tf.mul(dnNew, scalePrev!), tf.mul(ddNew, scalePrev!)] as tf.Tensor2D[], dPre: [du, dGA] };
  },
  initialGrads(w, [dh0]) {
    const hs = tf.tanh(raw(w, 's')); // (N)
    return new Map([['s', tf.mul(tf.sum(dh0!, 0), w.ops.oneMinus(tf.square(hs)))]]);
  },
};

/** LSTM, states [h, c]. */
export const lstm: FusedCell = {
  groups: [{ blocks: [{ key: 'W', bias: 'b' }], recurrent: true }],
  gradStates: 2,
  keepStates: [true, true],
  initialState: (_w, B, N) => [tf.zeros([B, N]), tf.zeros([B, N])],
  forward(w, x1, [hPrev, cPrev]) {
    const { tanh } = w.ops;
    const xh1 = cat(x1, hPrev!); // (B, I+1+N)
    const i = tf.sigmoid(pre(w, 0, 0, xh1)) as tf.Tensor2D; // (B, N)
    const f = tf.sigmoid(pre(w, 0, 1, xh1)) as tf.Tensor2D; // (B, N)
    const g = tanh(pre(w, 0, 2, xh1)); // (B, N)
    const o = tf.sigmoid(pre(w, 0, 3, xh1)) as tf.Tensor2D; // (B, N)
    const c = tf.add(tf.mul(f, cPrev!), tf.mul(i, g)) as tf.Tensor2D; // (B, N)
    const tc = tanh(c); // (B, N)
    const h = tf.mul(o, tc) as tf.Tensor2D; // (B, N)
    return { state: [h, c], cache: [i, f, g, o, tc, cPrev!], operands: [hPrev!] };
  },
  backward(w, [i, f, g, o, tc, cPrev], [dh, dc]) {
    const dcAll = tf.add(dc!, tf.mul(tf.mul(dh!, o!), dTanh(w, tc!))); // (B, N)
    const dPre = tf.concat(
      [
        tf.mul(tf.mul(dcAll, g!), dSigmoid(w, i!)), // di
        tf.mul(tf.mul(dcAll, cPrev!), dSigmoid(w, f!)), // df
        tf.mul(tf.mul(dcAll, i!), dTanh(w, g!)), // dg
        tf.mul(tf.mul(dh!, tc!), dSigmoid(w, o!)), // do
      ],
      1,
    ) as tf.Tensor2D; // (B, 4N)
    return { dPrev: [tf.matMul(dPre, w.WhT[0]!), tf.mul(dcAll, f!) as tf.Tensor2D], dPre: [dPre] };
  },
  initialGrads: () => new Map(),
};

/** GRU, states [h]. */
export const gru: FusedCell = {
  groups: [
    { blocks: [{ key: 'Wzr', bias: 'bzr' }], recurrent: true },
    { blocks: [{ key: 'Wh', bias: 'bh' }], recurrent: true },
  ],
  gradStates: 1,
  keepStates: [true],
  initialState: (_w, B, N) => [tf.zeros([B, N])],
  forward(w, x1, [hPrev]) {
    const xh1 = cat(x1, hPrev!); // (B, I+1+N)
    const z = tf.sigmoid(pre(w, 0, 0, xh1)) as tf.Tensor2D; // (B, N)
    const r = tf.sigmoid(pre(w, 0, 1, xh1)) as tf.Tensor2D; // (B, N)
    const rh = tf.mul(r, hPrev!) as tf.Tensor2D; // (B, N)
    const hTilde = w.ops.tanh(pre(w, 1, 0, cat(x1, rh))); // (B, N)
    const h = tf.add(hPrev!, tf.mul(z, tf.sub(hTilde, hPrev!))) as tf.Tensor2D; // (B, N)
    return { state: [h], cache: [z, r, hTilde, hPrev!], operands: [hPrev!, rh] };
  },
  backward(w, [z, r, hTilde, hPrev], [dh]) {
    const dhTilde = tf.mul(dh!, z!); // (B, N)
    const dPreH = tf.mul(dhTilde, dTanh(w, hTilde!)) as tf.Tensor2D; // (B, N)
    const drh = tf.matMul(dPreH, w.WhT[1]!); // (B, N)
    const dPreZR = tf.concat(
      [tf.mul(tf.mul(dh!, tf.sub(hTilde!, hPrev!)), dSigmoid(w, z!)), tf.mul(tf.mul(drh, hPrev!), dSigmoid(w, r!))],
      1,
    ) as tf.Tensor2D; // (B, 2N)
    const dhPrev = tf.add(tf.add(tf.sub(dh!, dhTilde), tf.mul(drh, r!)), tf.matMul(dPreZR, w.WhT[0]!)); // (B, N)
    return { dPrev: [dhPrev as tf.Tensor2D], dPre: [dPreZR, dPreH] };
  },
  initialGrads: () => new Map(),
};

/**
 * RDA (../../models/rda.ts), states [h, n, d, m]: RWA's step with m_{t-1} + log gamma in place of aMax. As for
 * RWA, m is a constant for the gradients. With np = n_{t-1} scalePrev and dp = d_{t-1} scalePrev (cached),
 * dLoss/dlog gamma = gN np + gD dp, and dlog gamma / dpre = 1 - gamma.
 */
export const rda: FusedCell = {
  groups: [
    { blocks: [{ key: 'Wu', bias: 'bu' }], recurrent: false },
    { blocks: [{ key: 'Wg', bias: 'bg' }, { key: 'Wa' }, { key: 'Wgamma', bias: 'bgamma' }], recurrent: true },
  ],
  gradStates: 3,
  keepStates: [true, false, false, false],
  initialState: rwa.initialState,
  forward(w, x1, [hPrev, n, d, m]) {
    const { tanh, expNonPos } = w.ops;
    const xh1 = cat(x1, hPrev!); // (B, I+1+N)
    const u = pre(w, 0, 0, x1); // (B, N)
    const tg = tanh(pre(w, 1, 0, xh1)); // (B, N) tanh(g)
    const a = pre(w, 1, 1, xh1); // (B, N)
    const pg = pre(w, 1, 2, xh1); // (B, N) gamma's pre-activation
    const oneMinusGamma = tf.sigmoid(tf.neg(pg)) as tf.Tensor2D; // (B, N)
    const carried = tf.sub(m!, tf.softplus(tf.neg(pg))); // (B, N) m_{t-1} + log gamma
    const below = tf.sub(carried, a) as tf.Tensor2D; // (B, N)
    const lift = tf.relu(below) as tf.Tensor2D; // (B, N) mNew - a >= 0
    const mNew = tf.add(a, lift) as tf.Tensor2D; // (B, N)
    const scalePrev = expNonPos(tf.sub(below, lift)); // (B, N) e^{m_{t-1} + log gamma - mNew}
    const wt = expNonPos(tf.neg(lift)); // (B, N) e^{a - mNew}
    const np = tf.mul(n!, scalePrev) as tf.Tensor2D; // (B, N)
    const dp = tf.mul(d!, scalePrev) as tf.Tensor2D; // (B, N)
    const nNew = tf.add(np, tf.mul(tf.mul(u, tg), wt)) as tf.Tensor2D; // (B, N)
    const dNew = tf.add(dp, wt) as tf.Tensor2D; // (B, N)
    const invD = tf.reciprocal(dNew) as tf.Tensor2D; // (B, N)
    const r = tf.mul(nNew, invD) as tf.Tensor2D; // (B, N)
    const h = tanh(r); // (B, N)
    return {
      state: [h, nNew, dNew, mNew],
      cache: [u, tg, wt, scalePrev, invD, r, h, np, dp, oneMinusGamma],
      operands: [undefined, hPrev!],
    };
  },
  backward(w, [u, tg, wt, scalePrev, invD, r, h, np, dp, oneMinusGamma], [dh, dn, dd]) {
    const q = tf.mul(tf.mul(dh!, dTanh(w, h!)), invD!); // (B, N) dLoss/dn through h = tanh(n/d)
    const gN = tf.add(dn!, q); // (B, N)
    const gD = tf.sub(dd!, tf.mul(q, r!)); // (B, N)
    const dz = tf.mul(gN, wt!); // (B, N)
    const da = tf.mul(tf.add(tf.mul(gN, tf.mul(u!, tg!)), gD), wt!) as tf.Tensor2D; // (B, N)
    const du = tf.mul(dz, tg!) as tf.Tensor2D; // (B, N)
    const dg = tf.mul(tf.mul(dz, u!), dTanh(w, tg!)) as tf.Tensor2D; // (B, N)
    const dpg = tf.mul(tf.add(tf.mul(gN, np!), tf.mul(gD, dp!)), oneMinusGamma!) as tf.Tensor2D; // (B, N)
    const dGAG = tf.concat([dg, da, dpg], 1); // (B, 3N)
    const dhPrev = tf.matMul(dGAG, w.WhT[1]!); // (B, N)
    return { dPrev: [dhPrev, tf.mul(gN, scalePrev!), tf.mul(gD, scalePrev!)] as tf.Tensor2D[], dPre: [du, dGAG] };
  },
  initialGrads: rwa.initialGrads,
};

export const FUSED_CELLS = { rwa, lstm, gru, rda } as const;
