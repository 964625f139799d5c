/**
 * The Recurrent Weighted Average cell (Ostmeyer & Cowell, arXiv 1703.01253) in TensorFlow.js: the readable
 * equations, used as the autodiff reference for the engines' hand-written backward passes.
 *
 *   u = x Wu + bu,  g = [x, hPrev] Wg + bg,  a = [x, hPrev] Wa,  z = u * tanh(g)
 *   n_t = n_{t-1} + z e^a,  d_t = d_{t-1} + e^a,  h_t = tanh(n_t / d_t),  h_0 = tanh(s)
 *
 * rwaCell keeps the running maximum aMax of a (the paper's Appendix B) so e^a never overflows;
 * rwaNaiveCell is the textbook form, kept only to show that it overflows where the stable one does not.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Cell } from './cell.js';

export interface RwaWeights {
  Wu: tf.Tensor2D; // (I, N)
  bu: tf.Tensor1D; // (N)
  Wg: tf.Tensor2D; // (I+N, N)
  bg: tf.Tensor1D; // (N)
  Wa: tf.Tensor2D; // (I+N, N)
  s: tf.Tensor1D; // (N) learned initial state, h_0 = tanh(s)
}

/** "Minus infinity" for the running max; -Infinity would need the first step special-cased (Inf - Inf). */
export const A_MAX_INIT = -1e38;

/** States [h, n, d, aMax], each (B, N). */
export function rwaCell(w: RwaWeights): Cell {
  const N = w.s.shape[0];
  return {
    initialState: (B) => [
      tf.tile(tf.reshape(tf.tanh(w.s), [1, N]), [B, 1]), // h_0 (B, N)
      tf.zeros([B, N]), // n_0
      tf.zeros([B, N]), // d_0
      tf.fill([B, N], A_MAX_INIT), // aMax_0
    ],
    step: (x, [hPrev, n, d, aMax]) => {
      const xh = tf.concat([x, hPrev!], 1); // (B, I+N)
      const u = tf.add(tf.matMul(x, w.Wu), w.bu); // (B, N)
      const g = tf.add(tf.matMul(xh, w.Wg), w.bg); // (B, N)
      const a = tf.matMul(xh, w.Wa); // (B, N)
      const z = tf.mul(u, tf.tanh(g)); // (B, N)
      const aNew = tf.maximum(aMax!, a); // (B, N)
      const scalePrev = tf.exp(tf.sub(aMax!, aNew)); // (B, N) e^{aMax_{t-1} - aMax_t}
      const w_t = tf.exp(tf.sub(a, aNew)); // (B, N) e^{a_t - aMax_t}
      const nNew = tf.add(tf.mul(n!, scalePrev), tf.mul(z, w_t)); // (B, N)
      const dNew = tf.add(tf.mul(d!, scalePrev), w_t); // (B, N)
      const h = tf.tanh(tf.div(nNew, dNew)); // (B, N)
      return [h, [h, nNew, dNew, aNew]];
    },
  };
}

/** The unstable form: n and d accumulate e^a directly (overflows in float32 once a > ~88). States [h, n, d]. */
export function rwaNaiveCell(w: RwaWeights): Cell {
  const N = w.s.shape[0];
  return {
    initialState: (B) => [tf.tile(tf.reshape(tf.tanh(w.s), [1, N]), [B, 1]), tf.zeros([B, N]), tf.zeros([B, N])],
    step: (x, [hPrev, n, d]) => {
      const xh = tf.concat([x, hPrev!], 1); // (B, I+N)
      const u = tf.add(tf.matMul(x, w.Wu), w.bu); // (B, N)
      const g = tf.add(tf.matMul(xh, w.Wg), w.bg); // (B, N)
      const eA = tf.exp(tf.matMul(xh, w.Wa)); // (B, N) e^a
      const nNew = tf.add(n!, tf.mul(tf.mul(u, tf.tanh(g)), eA)); // (B, N)
      const dNew = tf.add(d!, eA); // (B, N)
      const h = tf.tanh(tf.div(nNew, dNew)); // (B, N)
      return [h, [h, nNew, dNew]];
    },
  };
}
