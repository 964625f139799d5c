/**
 * LSTM cell in TensorFlow.js (the honest baseline: h = o * tanh(c_t), not the authors' c_{t-1}).
 *
 *   [i | f | g | o] = [x, hPrev] W + b      (forget-gate bias initialised to 1)
 *   c = sigmoid(f) * cPrev + sigmoid(i) * tanh(g),  h = sigmoid(o) * tanh(c),  h_0 = c_0 = 0
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Cell } from './cell.js';

export interface LstmWeights {
  W: tf.Tensor2D; // (I+N, 4N) column blocks [i | f | g | o]
  b: tf.Tensor1D; // (4N)
}

/** States [h, c], each (B, N). */
export function lstmCell(w: LstmWeights): Cell {
  const N = w.b.shape[0] / 4;
  return {
    initialState: (B) => [tf.zeros([B, N]), tf.zeros([B, N])],
    step: (x, [hPrev, cPrev]) => {
      const pre = tf.add(tf.matMul(tf.concat([x, hPrev!], 1), w.W), w.b); // (B, 4N)
      const [i, f, g, o] = tf.split(pre, 4, 1); // (B, N) each
      const c = tf.add(tf.mul(tf.sigmoid(f!), cPrev!), tf.mul(tf.sigmoid(i!), tf.tanh(g!))); // (B, N)
      const h = tf.mul(tf.sigmoid(o!), tf.tanh(c)); // (B, N)
      return [h, [h, c]];
    },
  };
}
