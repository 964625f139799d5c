/**
 * The Recurrent Discounted Attention cell (Maginnis & Richemond, arXiv 1705.08480) in TensorFlow.js: RWA
 * (./rwa.ts) plus a learned discount gamma, so the unit can forget the attention it gave earlier steps.
 *
 *   u = x Wu + bu,  g = [x, hPrev] Wg + bg,  a = [x, hPrev] Wa,  z = u * tanh(g)
 *   gamma = sigmoid([x, hPrev] Wgamma + bgamma)                                   (per unit, in (0, 1))
 *   n_t = gamma * n_{t-1} + z e^a,  d_t = gamma * d_{t-1} + e^a,  h_t = tanh(n_t / d_t),  h_0 = tanh(s)
 *
 * rdaCell runs the stable form both engines implement: log gamma = -softplus(-pre) is folded into the running
 * maximum, so the larger of the two weights is always e^0 = 1 and d_t >= 1 never underflows, however strong
 * the discount (RWA's running max alone would let gamma^t drive d to 0 and h to 0/0):
 *
 *   m_t = max(m_{t-1} + log gamma, a),  n_t = n_{t-1} e^{m_{t-1} + log gamma - m_t} + z e^{a - m_t}  (same for d, 1 for z)
 *
 * n and d are the naive sums scaled by e^{-m_t}; h depends on n / d only, so m cancels and the backward passes
 * treat it as a constant (as for RWA). rdaNaiveCell is the textbook form, kept for the tests.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Cell } from './cell.js';
import { A_MAX_INIT, type RwaWeights } from './rwa.js';

export interface RdaWeights extends RwaWeights {
  Wgamma: tf.Tensor2D; // (I+N, N)
  bgamma: tf.Tensor1D; // (N)
}

/** States [h, n, d, m], each (B, N). */
export function rdaCell(w: RdaWeights): Cell {
  const N = w.s.shape[0];
  return {
    initialState: (B) => [
      tf.tile(tf.reshape(tf.tanh(w.s), [1, N]), [B, 1]), // h_0 (B, N)
      tf.zeros([B, N]), // n_0
      tf.zeros([B, N]), // d_0
      tf.fill([B, N], A_MAX_INIT), // m_0
    ],
    step: (x, [hPrev, n, d, m]) => {
      const xh = tf.concat([x, hPrev!], 1); // (B, I+N)
      const u = tf.add(tf.matMul(x, w.Wu), w.bu); // (B, N)
      const g = tf.add(tf.matMul(xh, w.Wg), w.bg); // (B, N)
      const a = tf.matMul(xh, w.Wa); // (B, N)
      const logGamma = tf.neg(tf.softplus(tf.neg(tf.add(tf.matMul(xh, w.Wgamma), w.bgamma)))); // (B, N)
      const z = tf.mul(u, tf.tanh(g)); // (B, N)
      const carried = tf.add(m!, logGamma); // (B, N) m_{t-1} + log gamma
      const mNew = tf.maximum(carried, a); // (B, N)
      const scalePrev = tf.exp(tf.sub(carried, mNew)); // (B, N) gamma e^{m_{t-1} - m_t}
      const w_t = tf.exp(tf.sub(a, mNew)); // (B, N) e^{a - m_t}
      const nNew = tf.add(tf.mul(n!, scalePrev), tf.mul(z, w_t)); // (B, N)
      const dNew = tf.add(tf.mul(d!, scalePrev), w_t); // (B, N)
      const h = tf.tanh(tf.div(nNew, dNew)); // (B, N)
      return [h, [h, nNew, dNew, mNew]];
    },
  };
}

/** The unstable form: n and d accumulate gamma-discounted e^a directly. States [h, n, d]. */
export function rdaNaiveCell(w: RdaWeights): Cell {
  const N = w.s.shape[0];
  return {
    initialState: (B) => [tf.tile(tf.reshape(tf.tanh(w.s), [1, N]), [B, 1]), tf.zeros([B, N]), tf.zeros([B, N])],
    step: (x, [hPrev, n, d]) => {
      const xh = tf.concat([x, hPrev!], 1); // (B, I+N)
      const u = tf.add(tf.matMul(x, w.Wu), w.bu); // (B, N)
      const g = tf.add(tf.matMul(xh, w.Wg), w.bg); // (B, N)
      const eA = tf.exp(tf.matMul(xh, w.Wa)); // (B, N) e^a
      const gamma = tf.sigmoid(tf.add(tf.matMul(xh, w.Wgamma), w.bgamma)); // (B, N)
      const nNew = tf.add(tf.mul(gamma, n!), tf.mul(tf.mul(u, tf.tanh(g)), eA)); // (B, N)
      const dNew = tf.add(tf.mul(gamma, d!), eA); // (B, N)
      const h = tf.tanh(tf.div(nNew, dNew)); // (B, N)
      return [h, [h, nNew, dNew]];
    },
  };
}
