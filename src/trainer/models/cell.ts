/**
 * The cell contract shared by rwa.ts, lstm.ts, gru.ts and rda.ts, and the network built from it: layers stacked,
 * state frozen where the mask is 0, readout y = h Wo + bo at the last K steps (or ./attention.ts). Plain TensorFlow.js ops,
 * so tf.grads of networkForward is the autodiff reference for the engines' hand-written backward pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelSpec } from '../engines/engine.js';
import { paramLayout } from './params.js';
import { rwaCell, rwaNaiveCell, type RwaWeights } from './rwa.js';
import { lstmCell, type LstmWeights } from './lstm.js';
import { gruCell, type GruWeights } from './gru.js';
import { rdaCell, rdaNaiveCell, type RdaWeights } from './rda.js';
import { attentionReadout, type AttentionWeights } from './attention.js';

/** One step: x_t (B, I) and the states at t-1 give h_t (B, N) and the states at t (state 0 is h). */
export type StepFn = (x: tf.Tensor, states: tf.Tensor[]) => [tf.Tensor, tf.Tensor[]];

export interface Cell {
  initialState(batchSize: number): tf.Tensor[];
  step: StepFn;
}

/** The flat parameter vector (./params.ts layout) cut into named tensors: `l0.Wg`, `out.Wo`, ... */
export function splitParams(spec: ModelSpec, flat: tf.Tensor1D): Map<string, tf.Tensor> {
  const named = new Map<string, tf.Tensor>();
  for (const t of paramLayout(spec).tensors) named.set(t.name, tf.reshape(tf.slice(flat, t.offset, t.size), t.shape));
  return named;
}

export function makeCell(spec: ModelSpec, named: Map<string, tf.Tensor>, layer: number, naiveRwa = false): Cell {
  const get = (key: string) => {
    const t = named.get(`l${layer}.${key}`);
    if (!t) throw new Error(`missing parameter l${layer}.${key}`);
    return t;
  };
  switch (spec.cell) {
    case 'rwa': {
      const w = Object.fromEntries(
        ['Wu', 'bu', 'Wg', 'bg', 'Wa', 's'].map((k) => [k, get(k)]),
      ) as unknown as RwaWeights;
      return naiveRwa ? rwaNaiveCell(w) : rwaCell(w);
    }
    case 'lstm':
      return lstmCell({ W: get('W'), b: get('b') } as LstmWeights);
    case 'gru':
      return gruCell({ Wzr: get('Wzr'), bzr: get('bzr'), Wh: get('Wh'), bh: get('bh') } as GruWeights);
    case 'rda': {
      const w = Object.fromEntries(
        ['Wu', 'bu', 'Wg', 'bg', 'Wa', 'Wgamma', 'bgamma', 's'].map((k) => [k, get(k)]),
      ) as unknown as RdaWeights;
      return naiveRwa ? rdaNaiveCell(w) : rdaCell(w);
    }
  }
}

/**
 * Runs the whole network. xs: T tensors (B, F); masks: T tensors (B, 1) of 0/1 or undefined.
 * Returns outputs (K*B, O) (time-major, as the engine's (K, B, O)) and the top layer's h_t, T tensors (B, N).
 */
export function networkForward(
  spec: ModelSpec,
  flat: tf.Tensor1D,
  xs: tf.Tensor[],
  masks?: tf.Tensor[],
  /** naiveRwa: the textbook (unstable) form of RWA and RDA instead of the running-max form. */
  options: { naiveRwa?: boolean } = {},
): { outputs: tf.Tensor2D; hidden: tf.Tensor[] } {
  const named = splitParams(spec, flat);
  const B = xs[0]!.shape[0];
  let inputs = xs;
  for (let l = 0; l < spec.layers; l++) {
    const cell = makeCell(spec, named, l, options.naiveRwa);
    let states = cell.initialState(B);
    const hs: tf.Tensor[] = [];
    inputs.forEach((x, t) => {
      let [h, next] = cell.step(x, states);
      const mask = masks?.[t];
      if (mask) {
        // Past a sequence's end the whole state is frozen: state_t = state_{t-1}.
        const keep = tf.sub(1, mask);
        next = next.map((s, i) => tf.add(tf.mul(mask, s), tf.mul(keep, states[i]!)));
        h = next[0]!;
      }
      hs.push(h);
      states = next;
    });
    inputs = hs;
  }
  const K = spec.outputSteps;
  if (spec.readout === 'attention') {
    const w = Object.fromEntries(['Wa', 'Wc', 'bc', 'Wo', 'bo'].map((k) => [k, named.get(`out.${k}`)]));
    return { outputs: attentionReadout(inputs, masks, w as unknown as AttentionWeights, K), hidden: inputs };
  }
  const top = tf.concat(inputs.slice(inputs.length - K), 0); // (K*B, N)
  const outputs = tf.add(tf.matMul(top, named.get('out.Wo') as tf.Tensor2D), named.get('out.bo')!) as tf.Tensor2D;
  return { outputs, hidden: inputs };
}
