/**
 * The cells as the tfjs engine runs them: the same maths as ../../models/{rwa,lstm,gru}.ts, rearranged for
 * speed (x and h products kept apart so nothing is concatenated per step; no slicing of per-step results) and
 * each paired with its hand-written backward step. The layer loop (./model.ts) does masking, stacking
 * and the weight gradients, which are large products over many steps rather than one per step.
 *
 * Vocabulary: a weight group is a matrix W = [block | block ...] (I(+N), C) applied to [x_t, hSrc_t];
 * its pre-activation gradient dPre (B, C) is all the layer loop needs for dW and db.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface WeightGroup {
  /** Parameter keys whose matrices are concatenated by columns, with the bias of each block if it has one. */
  blocks: { key: string; bias?: string }[];
  /** true: the rows below the input's belong to a recurrent operand (hPrev, or r * hPrev for the GRU). */
  recurrent: boolean;
}

/** One layer's weights, cut from the flat vector once per forward and reused by backward. */
export interface LayerWeights {
  /**
   * Per group k and N-column part j (RWA's [g | a], the LSTM's [i | f | g | o], ...): the rows multiplying x_t
   * (I, N), those multiplying the recurrent operand (N, N) and the bias (N) if the part has one. Forward uses
   * one product per part: slicing a (B, C) result into parts costs more on wasm than the extra matMul calls.
   */
  Wx: tf.Tensor2D[][];
  Wh: (tf.Tensor2D | undefined)[][];
  b: (tf.Tensor1D | undefined)[][];
  /** Per group, the transposed whole matrices for backward: (C, I) (only when dx is needed) and (C, N). */
  WxT: (tf.Tensor2D | undefined)[];
  WhT: (tf.Tensor2D | undefined)[];
  /** This layer's raw parameters by key (`Wg`, `s`, ...). */
  raw: Map<string, tf.Tensor>;
  ops: Kernels;
}

/** Elementwise functions whose fastest form depends on the back end. */
export interface Kernels {
  tanh(v: tf.Tensor2D): tf.Tensor2D;
  /** e^v for v <= 0. */
  expNonPos(v: tf.Tensor2D): tf.Tensor2D;
}

export const PLAIN_KERNELS: Kernels = {
  tanh: (v) => tf.tanh(v),
  expNonPos: (v) => tf.exp(v),
};

/**
 * On wasm, tanh and exp are scalar loops (~1 ms per (100, 250)) while sigmoid is vectorised (~0.1 ms):
 * tanh(v) = 2 sigmoid(2v) - 1 and e^v = sigmoid(v) / (1 - sigmoid(v)) are 3-4 cheap ops instead. Both are
 * accurate to a few float32 ulps in absolute terms (v <= 0 keeps 1 - sigmoid(v) >= 0.5, no cancellation).
 */
export const SIGMOID_KERNELS: Kernels = {
  tanh: (v) => tf.sub(tf.mul(tf.sigmoid(tf.mul(v, 2)), 2), 1),
  expNonPos: (v) => {
    const s = tf.sigmoid(v);
    return tf.div(s, tf.sub(1, s));
  },
};

export interface StepForward {
  /** New states as if the step were live (state 0 is h); the layer loop applies the mask. */
  state: tf.Tensor2D[];
  /** What backward needs. */
  cache: tf.Tensor2D[];
  /** Per group, the recurrent operand of the weight gradient (undefined for input-only groups). */
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
  forward(w: LayerWeights, x: tf.Tensor2D, state: tf.Tensor2D[]): StepForward;
  /** dNew: gradients w.r.t. this step's new (unmasked) states. */
  backward(w: LayerWeights, cache: tf.Tensor2D[], dNew: tf.Tensor2D[]): StepBackward;
  /** Gradients of parameters that only act through the initial state, from dLoss/dState_0. */
  initialGrads(w: LayerWeights, dState0: tf.Tensor2D[]): Map<string, tf.Tensor>;
}

/** Part j of group k's pre-activation: x Wx + hSrc Wh + b, (B, N). */
const affine = (w: LayerWeights, k: number, j: number, x: tf.Tensor2D, hSrc?: tf.Tensor2D): tf.Tensor2D => {
  let pre: tf.Tensor2D = tf.matMul(x, w.Wx[k]![j]!);
  if (hSrc) pre = tf.add(pre, tf.matMul(hSrc, w.Wh[k]![j]!));
  const b = w.b[k]![j];
  return b ? tf.add(pre, b) : pre;
};
const raw = (w: LayerWeights, key: string) => w.raw.get(key)!;
/** 1 - v^2: the derivative of tanh from its output. */
const dTanh = (v: tf.Tensor2D) => tf.sub(1, tf.square(v)) as tf.Tensor2D;
/** v (1 - v): the derivative of sigmoid from its output. */
const dSigmoid = (v: tf.Tensor2D) => tf.mul(v, tf.sub(1, v)) as tf.Tensor2D;

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
  forward(w, x, [hPrev, n, d, aMax]) {
    const { tanh, expNonPos } = w.ops;
    const u = affine(w, 0, 0, x); // (B, N)
    const tg = tanh(affine(w, 1, 0, x, hPrev)); // (B, N) tanh(g)
    const a = affine(w, 1, 1, x, hPrev); // (B, N)
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
    return { state: [h, nNew, dNew, aNew], cache: [u, tg, wt, scalePrev, invD, r, h], operands: [undefined, hPrev] };
  },
  backward(w, [u, tg, wt, scalePrev, invD, r, h], [dh, dn, dd]) {
    const q = tf.mul(tf.mul(dh!, dTanh(h!)), invD!); // (B, N) dLoss/dn through h = tanh(n/d)
    const dnNew = tf.add(dn!, q); // (B, N)
    const ddNew = tf.sub(dd!, tf.mul(q, r!)); // (B, N)
    const dz = tf.mul(dnNew, wt!); // (B, N)
    const da = tf.mul(tf.add(tf.mul(dnNew, tf.mul(u!, tg!)), ddNew), wt!) as tf.Tensor2D; // (B, N)
    const du = tf.mul(dz, tg!) as tf.Tensor2D; // (B, N)
    const dg = tf.mul(tf.mul(dz, u!), dTanh(tg!)) as tf.Tensor2D; // (B, N)
    const dGA = tf.concat([dg, da], 1); // (B, 2N)
    const dhPrev = tf.matMul(dGA, w.WhT[1]!); // (B, N)
    return { dPrev: [dhPrev, tf.mul(dnNew, scalePrev!), tf.mul(ddNew, scalePrev!)] as tf.Tensor2D[], dPre: [du, dGA] };
  },
  initialGrads(w, [dh0]) {
    const hs = tf.tanh(raw(w, 's')); // (N)
    return new Map([['s', tf.mul(tf.sum(dh0!, 0), tf.sub(1, tf.square(hs)))]]);
  },
};

/** LSTM, states [h, c]. */
export const lstm: FusedCell = {
  groups: [{ blocks: [{ key: 'W', bias: 'b' }], recurrent: true }],
  gradStates: 2,
  keepStates: [true, true],
  initialState: (_w, B, N) => [tf.zeros([B, N]), tf.zeros([B, N])],
  forward(w, x, [hPrev, cPrev]) {
    const { tanh } = w.ops;
    const i = tf.sigmoid(affine(w, 0, 0, x, hPrev)) as tf.Tensor2D; // (B, N)
    const f = tf.sigmoid(affine(w, 0, 1, x, hPrev)) as tf.Tensor2D; // (B, N)
    const g = tanh(affine(w, 0, 2, x, hPrev)); // (B, N)
    const o = tf.sigmoid(affine(w, 0, 3, x, hPrev)) as tf.Tensor2D; // (B, N)
    const c = tf.add(tf.mul(f, cPrev!), tf.mul(i, g)) as tf.Tensor2D; // (B, N)
    const tc = tanh(c); // (B, N)
    const h = tf.mul(o, tc) as tf.Tensor2D; // (B, N)
    return { state: [h, c], cache: [i, f, g, o, tc, cPrev!], operands: [hPrev] };
  },
  backward(w, [i, f, g, o, tc, cPrev], [dh, dc]) {
    const dcAll = tf.add(dc!, tf.mul(tf.mul(dh!, o!), dTanh(tc!))); // (B, N)
    const dPre = tf.concat(
      [
        tf.mul(tf.mul(dcAll, g!), dSigmoid(i!)), // di
        tf.mul(tf.mul(dcAll, cPrev!), dSigmoid(f!)), // df
        tf.mul(tf.mul(dcAll, i!), dTanh(g!)), // dg
        tf.mul(tf.mul(dh!, tc!), dSigmoid(o!)), // do
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
  forward(w, x, [hPrev]) {
    const z = tf.sigmoid(affine(w, 0, 0, x, hPrev)) as tf.Tensor2D; // (B, N)
    const r = tf.sigmoid(affine(w, 0, 1, x, hPrev)) as tf.Tensor2D; // (B, N)
    const rh = tf.mul(r, hPrev!) as tf.Tensor2D; // (B, N)
    const hTilde = w.ops.tanh(affine(w, 1, 0, x, rh)); // (B, N)
    const h = tf.add(hPrev!, tf.mul(z, tf.sub(hTilde, hPrev!))) as tf.Tensor2D; // (B, N)
    return { state: [h], cache: [z, r, hTilde, hPrev!], operands: [hPrev, rh] };
  },
  backward(w, [z, r, hTilde, hPrev], [dh]) {
    const dhTilde = tf.mul(dh!, z!); // (B, N)
    const dPreH = tf.mul(dhTilde, dTanh(hTilde!)) as tf.Tensor2D; // (B, N)
    const drh = tf.matMul(dPreH, w.WhT[1]!); // (B, N)
    const dPreZR = tf.concat(
      [tf.mul(tf.mul(dh!, tf.sub(hTilde!, hPrev!)), dSigmoid(z!)), tf.mul(tf.mul(drh, hPrev!), dSigmoid(r!))],
      1,
    ) as tf.Tensor2D; // (B, 2N)
    const dhPrev = tf.add(tf.add(tf.sub(dh!, dhTilde), tf.mul(drh, r!)), tf.matMul(dPreZR, w.WhT[0]!)); // (B, N)
    return { dPrev: [dhPrev as tf.Tensor2D], dPre: [dPreZR, dPreH] };
  },
  initialGrads: () => new Map(),
};

export const FUSED_CELLS = { rwa, lstm, gru } as const;
