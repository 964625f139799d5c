/**
 * The attention readout (spec.readout = 'attention'; model 'lstm-attention'): the baseline the article asks
 * about, an LSTM that attends over its own past states (Luong et al. 2015, "general" score). At each of the
 * last K steps t, over the top layer's states h_s of the steps s <= t that are inside the sequence:
 *
 *   score_{t,s} = h_t^T Wa h_s                   only s <= t with mask[s] = 1
 *   alpha_{t,.} = softmax_s(score_{t,.})          (max subtracted)
 *   c_t = sum_s alpha_{t,s} h_s                   (B, N)
 *   hTilde_t = tanh([c_t, h_t] Wc + bc)           (B, N)
 *   y_t = hTilde_t Wo + bo                        (B, O)
 *
 * Past a sequence's end its state is frozen, so those steps would be duplicates of its last real state:
 * they are excluded as keys, and the frozen h_t is the query. A sequence of length 0 has no keys:
 * alpha = 0 and c_t = 0 (then hTilde_t = tanh([0, h_0] Wc + bc)), never NaN.
 * Steps are 0-based here: h_s is the state after step s, h_{-1} (the initial state) is never a key.
 * The same maths, in float64 loops, is in ./reference.ts, and in C++ in ../engines/native/cpp/attention.cc.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AttentionWeights {
  Wa: tf.Tensor2D; // (N, N)
  Wc: tf.Tensor2D; // (2N, N): rows 0..N-1 multiply c_t, rows N..2N-1 multiply h_t
  bc: tf.Tensor1D; // (N)
  Wo: tf.Tensor2D; // (N, O)
  bo: tf.Tensor1D; // (O)
}

/** What the forward computes on the way, kept by the tfjs engine for its hand-written backward. */
export interface AttentionCache {
  H: tf.Tensor3D; // (B, T, N) keys and values h_s
  Hq: tf.Tensor3D; // (B, K, N) queries h_t
  Q: tf.Tensor3D; // (B, K, N) h_t^T Wa
  alpha: tf.Tensor3D; // (B, K, T), 0 for excluded steps
  ch: tf.Tensor2D; // (B*K, 2N) [c_t, h_t]
  hTilde: tf.Tensor2D; // (B*K, N)
}

/**
 * hs: the top layer's h_0..h_{T-1}, T tensors (B, N); masks: T tensors (B, 1) of 0/1, or undefined when every
 * step is live. Returns y (K*B, O), time-major rows like the engines' (K, B, O). Differentiable with tf.grads.
 */
export function attentionReadout(
  hs: tf.Tensor[],
  masks: tf.Tensor[] | undefined,
  w: AttentionWeights,
  K: number,
): tf.Tensor2D {
  return tf.tidy(() => attentionForward(hs, masks, w, K).y);
}

/** attentionReadout, also returning the intermediate tensors (the caller disposes all of them). */
export function attentionForward(
  hs: tf.Tensor[],
  masks: tf.Tensor[] | undefined,
  w: AttentionWeights,
  K: number,
): { y: tf.Tensor2D; cache: AttentionCache } {
  const tidy = tf.tidy as unknown as <R>(fn: () => R) => R; // tf's TensorContainer type is too narrow
  return tidy(() => {
    const T = hs.length;
    const [B, N] = hs[0]!.shape as [number, number];
    const O = w.Wo.shape[1];
    const H = tf.stack(hs, 1) as tf.Tensor3D; // (B, T, N) keys and values
    const Hq = tf.stack(hs.slice(T - K), 1) as tf.Tensor3D; // (B, K, N) queries h_t
    const Q = tf.reshape(tf.matMul(tf.reshape(Hq, [B * K, N]), w.Wa), [B, K, N]) as tf.Tensor3D; // h_t^T Wa
    const scores = tf.matMul(Q, H, false, true); // (B, K, T)
    // valid[b, k, s] = 1 where s <= t_k = T-K+k and step s is inside sequence b.
    const causal = tf.tensor3d(
      Array.from({ length: K * T }, (_, i) => (i % T <= T - K + Math.floor(i / T) ? 1 : 0)),
      [1, K, T],
    );
    const live = masks ? tf.reshape(tf.concat(masks, 1), [B, 1, T]) : tf.ones([B, 1, T]);
    const valid = tf.mul(causal, live); // (B, K, T)
    const masked = tf.sub(tf.mul(scores, valid), tf.mul(tf.sub(1, valid), 1e30)); // invalid -> -1e30
    const e = tf.mul(tf.exp(tf.sub(masked, tf.max(masked, 2, true))), valid); // (B, K, T)
    // A row without keys (length 0) has e = 0: divide by 1 instead of 0, so alpha = 0 and c = 0.
    const denom = tf.add(tf.sum(e, 2, true), tf.sub(1, tf.max(valid, 2, true))); // (B, K, 1)
    const alpha = tf.div(e, denom) as tf.Tensor3D; // (B, K, T)
    const c = tf.matMul(alpha, H); // (B, K, N)
    const ch = tf.reshape(tf.concat([c, Hq], 2), [B * K, 2 * N]) as tf.Tensor2D; // [c_t, h_t]
    const hTilde = tf.tanh(tf.add(tf.matMul(ch, w.Wc), w.bc)) as tf.Tensor2D; // (B*K, N)
    const yb = tf.add(tf.matMul(hTilde, w.Wo), w.bo); // (B*K, O), rows b-major
    const y = tf.reshape(tf.transpose(tf.reshape(yb, [B, K, O]), [1, 0, 2]), [K * B, O]) as tf.Tensor2D;
    return { y, cache: { H, Hq, Q, alpha, ch, hTilde } };
  });
}
