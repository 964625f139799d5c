/**
 * The hand-written backward pass of the attention readout (../../models/attention.ts), from the forward's
 * cache. B-major rows (B*K) as in the forward; dY arrives time-major (K*B, O) like the outputs.
 *
 *   dWo = hTilde^T dY, dbo = sum dY, dA = dY Wo^T (1 - hTilde^2), dWc = [c, h]^T dA, dbc = sum dA, d[c, h] = dA Wc^T
 *   dalpha = dc H^T, dscore = alpha (dalpha - sum_s alpha dalpha)       (alpha = 0 where a step is excluded)
 *   dH = alpha^T dc + dscore^T Q, dQ = dscore H, dWa = Hq^T dQ, dHq = dQ Wa^T + dh (the h half of d[c, h])
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AttentionCache, AttentionWeights } from '../../models/attention.js';

/** Returns the head's parameter gradients and dLoss/dh_s for s = 0..T-1, T tensors (B, N). */
export function attentionBackward(
  w: AttentionWeights,
  cache: AttentionCache,
  dY: tf.Tensor2D,
): { grads: Record<'Wa' | 'Wc' | 'bc' | 'Wo' | 'bo', tf.Tensor>; dHs: tf.Tensor2D[] } {
  const tidy = tf.tidy as unknown as <R>(fn: () => R) => R; // tf's TensorContainer type is too narrow
  return tidy(() => {
    const { H, Hq, Q, alpha, ch, hTilde } = cache;
    const [B, T, N] = H.shape;
    const K = Hq.shape[1];
    const O = w.Wo.shape[1];
    const dYb = tf.reshape(tf.transpose(tf.reshape(dY, [K, B, O]), [1, 0, 2]), [B * K, O]); // (B*K, O)
    const dA = tf.mul(tf.matMul(dYb, w.Wo, false, true), tf.sub(1, tf.square(hTilde))); // (B*K, N)
    const dch = tf.matMul(dA, w.Wc, false, true); // (B*K, 2N)
    const dc = tf.reshape(tf.slice(dch, [0, 0], [-1, N]), [B, K, N]); // (B, K, N)
    const dhDirect = tf.reshape(tf.slice(dch, [0, N], [-1, N]), [B, K, N]); // (B, K, N)
    const dAlpha = tf.matMul(dc, H, false, true); // (B, K, T)
    const dScore = tf.mul(alpha, tf.sub(dAlpha, tf.sum(tf.mul(alpha, dAlpha), 2, true))); // (B, K, T)
    const dQ = tf.matMul(dScore, H); // (B, K, N)
    const dQf = tf.reshape(dQ, [B * K, N]);
    const dHq = tf.add(tf.reshape(tf.matMul(dQf, w.Wa, false, true), [B, K, N]), dhDirect); // (B, K, N)
    const dH = tf.add(
      tf.add(tf.matMul(alpha, dc, true, false), tf.matMul(dScore, Q, true, false)), // (B, T, N)
      tf.pad(dHq, [
        [0, 0],
        [T - K, 0],
        [0, 0],
      ]),
    );
    const grads = {
      Wa: tf.matMul(tf.reshape(Hq, [B * K, N]), dQf, true, false), // (N, N)
      Wc: tf.matMul(ch, dA, true, false), // (2N, N)
      bc: tf.sum(dA, 0), // (N)
      Wo: tf.matMul(hTilde, dYb, true, false), // (N, O)
      bo: tf.sum(dYb, 0), // (O)
    };
    return { grads, dHs: tf.unstack(dH, 1) as tf.Tensor2D[] };
  });
}
