/**
 * GRU cell in TensorFlow.js.
 *
 *   [z | r] = sigmoid([x, hPrev] Wzr + bzr)
 *   hTilde = tanh([x, r * hPrev] Wh + bh),  h = (1 - z) * hPrev + z * hTilde,  h_0 = 0
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Cell } from './cell.js';

export interface GruWeights {
  Wzr: tf.Tensor2D; // (I+N, 2N) column blocks [z | r]
  bzr: tf.Tensor1D; // (2N)
  Wh: tf.Tensor2D; // (I+N, N)
  bh: tf.Tensor1D; // (N)
}

/** States [h], (B, N). */
export function gruCell(w: GruWeights): Cell {
  const N = w.bh.shape[0];
  return {
    initialState: (B) => [tf.zeros([B, N])],
    step: (x, [hPrev]) => {
      const zr = tf.sigmoid(tf.add(tf.matMul(tf.concat([x, hPrev!], 1), w.Wzr), w.bzr)); // (B, 2N)
      const [z, r] = tf.split(zr, 2, 1); // (B, N) each
      const hTilde = tf.tanh(tf.add(tf.matMul(tf.concat([x, tf.mul(r!, hPrev!)], 1), w.Wh), w.bh)); // (B, N)
      const h = tf.add(hPrev!, tf.mul(z!, tf.sub(hTilde, hPrev!))); // (B, N) = (1 - z) hPrev + z hTilde
      return [h, [h]];
    },
  };
}
