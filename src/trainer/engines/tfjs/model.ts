/**
 * A TrainableModel on TensorFlow.js: the layer loop over time, masking, stacking and the readout around the
 * fused cells of ./cells.ts, a hand-written backward pass through time, and Adam with global-norm clipping.
 *
 * Speed rules (measured on the wasm back end, see docs/SETUP-NOTES.md): per-step inputs are built from JS
 * arrays (never sliced out of a (T, ...) tensor, which is quadratic in T); transposed weights are materialised
 * once per forward (matMul's transpose flags take a slow path on wasm); weight gradients are one product per
 * chunk of steps, dPre^T (C, chunk*B) @ [x, hSrc] (chunk*B, I+N); every step runs in tf.tidy and what
 * backward needs is kept explicitly and disposed after it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {
  AdamOptions,
  ForwardOptions,
  ForwardResult,
  ModelSpec,
  OptimizerState,
  SequenceBatch,
  TrainableModel,
} from '../engine.js';
import { paramLayout, type ParamLayout } from '../../models/params.js';
import { splitParams } from '../../models/cell.js';
import { attentionForward, type AttentionCache, type AttentionWeights } from '../../models/attention.js';
import { attentionBackward } from './attention.js';
import { FUSED_CELLS, makeKernels, type FusedCell, type Kernels, type LayerWeights } from './cells.js';

export interface TfjsModelOptions {
  /** Steps per weight-gradient product; ~25 was fastest on wasm. */
  gradChunk?: number;
  /** How tanh and exp are computed; createTfjsEngine picks the fastest for its back end. */
  kernels?: 'plain' | 'sigmoid';
}

/** What one layer's forward keeps for backward. */
interface LayerTape {
  /** x_t (B, I): the batch's inputs (owned) for layer 0, the layer below's h_t (borrowed) above it. */
  xs: tf.Tensor2D[];
  /** states[t + 1] are the states after step t; states[0] the initial state. Freed entries are undefined. */
  states: (tf.Tensor2D | undefined)[][];
  caches: tf.Tensor2D[][];
  operands: (tf.Tensor2D | undefined)[][];
}

interface Tape {
  layers: LayerTape[];
  /** (B, 1) 0/1 per step, or undefined when every step is live. */
  masks?: tf.Tensor2D[];
  /** The top layer's h at the readout steps, (K*B, N). */
  top: tf.Tensor2D;
  /** The attention readout's intermediates (owned), when the model has one. */
  attention?: AttentionCache;
  T: number;
  B: number;
}

export class TfjsModel implements TrainableModel {
  readonly paramCount: number;
  private readonly layout: ParamLayout;
  private readonly cell: FusedCell;
  private readonly gradChunk: number;
  private readonly kernels: Kernels;
  private params: tf.Tensor1D;
  private m: tf.Tensor1D;
  private v: tf.Tensor1D;
  private adamSteps = 0;
  private grads: tf.Tensor1D | undefined;
  private weights:
    { layers: LayerWeights[]; Wo: tf.Tensor2D; WoT: tf.Tensor2D; bo: tf.Tensor1D; head?: AttentionWeights } | undefined;
  private weightTensors: tf.Tensor[] = [];
  private tape: Tape | undefined;

  constructor(
    readonly spec: ModelSpec,
    params: Float32Array,
    options: TfjsModelOptions = {},
  ) {
    validateSpec(spec);
    this.layout = paramLayout(spec);
    this.paramCount = this.layout.total;
    if (params.length !== this.paramCount)
      throw new Error(`parameter vector has ${params.length} values; a ${describe(spec)} needs ${this.paramCount}`);
    this.cell = FUSED_CELLS[spec.cell];
    this.gradChunk = options.gradChunk ?? 25;
    this.kernels = makeKernels(options.kernels ?? 'plain');
    this.params = tf.tensor1d(params);
    this.m = tf.zeros([this.paramCount]);
    this.v = tf.zeros([this.paramCount]);
  }

  forward(batch: SequenceBatch, options: ForwardOptions = {}): ForwardResult {
    const { steps: T, batchSize: B } = batch;
    const { inputSize: F, units: N, outputSteps: K, outputSize: O, layers: L } = this.spec;
    validateBatch(this.spec, batch);
    const training = options.training ?? true;
    // backward() follows the most recent training forward; an evaluation in between leaves its tape alone.
    if (training) this.disposeTape();
    const capture = options.captureHidden ?? [];
    for (const b of capture)
      if (!(Number.isInteger(b) && b >= 0 && b < B))
        throw new RangeError(`captureHidden index ${b} is not in 0..${B - 1}`);
    const w = this.prepareWeights();
    const masks = batch.mask && batch.mask.some((v) => v !== 1) ? perStep(batch.mask, T, B, 1) : undefined;
    const ones = tf.ones([B, 1]) as tf.Tensor2D; // the bias input
    let inputs = perStep(batch.x, T, B, F); // x_t (B, I): layer 0 reads the batch, layer l > 0 the h_t below
    const layers: LayerTape[] = [];
    const captureIdx = capture.length > 0 ? tf.tensor1d(Array.from(capture), 'int32') : undefined;
    const captured: tf.Tensor2D[] = [];

    for (let l = 0; l < L; l++) {
      const lw = w.layers[l]!;
      const states: (tf.Tensor2D | undefined)[][] = [tidy(() => this.cell.initialState(lw, B, N))];
      const caches: tf.Tensor2D[][] = [];
      const operands: (tf.Tensor2D | undefined)[][] = [];
      for (let t = 0; t < T; t++) {
        const prev = states[t] as tf.Tensor2D[];
        const step = tidy(() => {
          const x1 = tf.concat([inputs[t]!, ones], 1) as tf.Tensor2D; // (B, I+1)
          const out = this.cell.forward(lw, x1, prev);
          const mask = masks?.[t];
          if (mask) {
            // Past a sequence's end the whole state is frozen. mask * new + (1 - mask) * old is exact for 0/1
            // masks as long as both are finite, which the unmasked computation guarantees (d >= 1).
            const keep = this.kernels.oneMinus(mask);
            out.state = out.state.map((s, i) => tf.add(tf.mul(mask, s), tf.mul(keep, prev[i]!)) as tf.Tensor2D);
          }
          return training ? out : { state: out.state, cache: [], operands: [] };
        });
        states.push(step.state);
        caches.push(step.cache);
        operands.push(step.operands);
        // Free previous states nothing will read again (h is kept: it is the next layer's input and hPrev).
        prev.forEach((s, i) => {
          if (i > 0 && !(training && this.cell.keepStates[i])) {
            s.dispose();
            states[t]![i] = undefined;
          }
        });
        if (l === L - 1 && captureIdx) captured.push(tf.gather(step.state[0]!, captureIdx));
      }
      // The last step's extra states (n, d, aMax, c) are not needed by anyone.
      states[T]!.forEach((s, i) => {
        if (i > 0 && !(training && this.cell.keepStates[i])) {
          s!.dispose();
          states[T]![i] = undefined;
        }
      });
      layers.push({ xs: inputs, states, caches, operands });
      if (!training) {
        // The layer below (or the batch) is no longer needed.
        tf.dispose(inputs);
        layers[l]!.xs = [];
        tf.dispose(states[0]!.filter((s) => s) as tf.Tensor[]);
      }
      inputs = states.slice(1).map((s) => s[0]!);
    }
    ones.dispose();
    const xs = inputs;

    const top = tf.concat(xs.slice(T - K), 0); // (K*B, N)
    let attention: AttentionCache | undefined;
    let y: tf.Tensor2D; // (K*B, O)
    if (w.head) {
      ({ y, cache: attention } = attentionForward(xs, masks, w.head, K));
      if (!training) tf.dispose(Object.values(attention));
    } else {
      y = tf.tidy(() => tf.add(tf.matMul(top, w.Wo), w.bo));
    }
    const outputs = y.dataSync() as Float32Array;
    y.dispose();
    if (outputs.length !== K * B * O) throw new Error('internal: readout has the wrong size');

    let hidden: Float32Array[] | undefined;
    if (captureIdx) {
      const all = tf.stack(captured, 1); // (C, T, N)
      const data = all.dataSync() as Float32Array;
      hidden = capture.map((_, c) => data.slice(c * T * N, (c + 1) * T * N));
      tf.dispose([all, captureIdx, ...captured]);
    }

    if (training) {
      this.tape = { layers, masks, top, attention, T, B };
    } else {
      tf.dispose([top, ...xs]);
      if (masks) tf.dispose(masks);
    }
    return hidden ? { outputs: Float32Array.from(outputs), hidden } : { outputs: Float32Array.from(outputs) };
  }

  backward(dOutputs: Float32Array): void {
    const tape = this.tape;
    if (!tape)
      throw new Error('backward() needs a training forward() first (forward with training: false keeps nothing)');
    const { T, B } = tape;
    const { outputSteps: K, outputSize: O, layers: L } = this.spec;
    if (dOutputs.length !== K * B * O)
      throw new Error(`dOutputs has ${dOutputs.length} values; expected K*B*O = ${K * B * O}`);
    const w = this.prepareWeights();
    const grads = new Map<string, tf.Tensor>();

    const dY = tf.tensor2d(dOutputs, [K * B, O]);
    // dh_t arriving from outside the layer: the readout for the top layer, the layer above for the rest.
    let ext: (tf.Tensor2D | undefined)[] = new Array(T).fill(undefined);
    if (w.head) {
      // The attention readout sends a gradient to every step's h_t.
      const head = attentionBackward(w.head, tape.attention!, dY);
      for (const [key, g] of Object.entries(head.grads)) grads.set(`out.${key}`, g);
      ext = head.dHs;
    } else {
      // Readout: y = top Wo + bo.
      grads.set(
        'out.Wo',
        tf.tidy(() => tf.matMul(tf.transpose(tape.top), dY)),
      ); // (N, O)
      grads.set('out.bo', tf.sum(dY, 0)); // (O)
      const dTop = tf.tidy(() => tf.split(tf.matMul(dY, w.WoT), K, 0) as tf.Tensor2D[]); // K x (B, N)
      dTop.forEach((d, k) => (ext[T - K + k] = d));
    }
    dY.dispose();

    for (let l = L - 1; l >= 0; l--) {
      ext = this.layerBackward(l, w.layers[l]!, tape, ext, l > 0, grads);
    }
    this.disposeTape();

    tf.dispose(this.grads);
    this.grads = tf.tidy(() =>
      tf.concat<tf.Tensor1D>(
        this.layout.tensors.map((p) => {
          const g = grads.get(p.name);
          if (!g) throw new Error(`internal: no gradient for ${p.name}`);
          return tf.reshape<tf.Rank.R1>(g, [p.size]);
        }),
      ),
    );
    tf.dispose([...grads.values()]);
  }

  /** Backward through time for one layer; returns dLoss/dx_t for the layer below (if wanted). */
  private layerBackward(
    l: number,
    w: LayerWeights,
    tape: Tape,
    ext: (tf.Tensor2D | undefined)[],
    wantDx: boolean,
    grads: Map<string, tf.Tensor>,
  ): (tf.Tensor2D | undefined)[] {
    const { T, B } = tape;
    const N = this.spec.units;
    const cell = this.cell;
    const { xs, states, caches, operands } = tape.layers[l]!;
    const groups = cell.groups;
    const dxs: (tf.Tensor2D | undefined)[] = new Array(T).fill(undefined);
    let carry: tf.Tensor2D[] = Array.from({ length: cell.gradStates }, () => tf.zeros([B, N]));
    // Weight-gradient accumulators, transposed: (C, R) with R the operand's rows [x; 1; hSrc].
    const gradWT: (tf.Tensor2D | undefined)[] = groups.map(() => undefined);
    let chunk: { t: number; dPre: tf.Tensor2D[] }[] = [];

    // One product per group and chunk of steps: dW^T += dPre^T (C, chunk*B) @ [x, 1, hSrc] (chunk*B, R).
    const flush = () => {
      const rows = (ts: tf.Tensor2D[]) => tf.concat(ts, 0);
      groups.forEach((group, k) => {
        const gW = tidy(() => {
          const dPre = rows(chunk.map((c) => c.dPre[k]!)); // (chunk*B, C)
          const pieces = [rows(chunk.map((c) => xs[c.t]!)), tf.ones([chunk.length * B, 1])]; // x, 1
          if (group.recurrent) pieces.push(rows(chunk.map((c) => operands[c.t]![k]!))); // hSrc
          const gW = tf.matMul(tf.transpose(dPre), tf.concat(pieces, 1)) as tf.Tensor2D; // (C, R)
          return gradWT[k] ? (tf.add(gradWT[k]!, gW) as tf.Tensor2D) : gW;
        });
        gradWT[k]?.dispose();
        gradWT[k] = gW;
      });
      for (const c of chunk) tf.dispose(c.dPre);
      chunk = [];
    };

    for (let t = T - 1; t >= 0; t--) {
      const mask = tape.masks?.[t];
      const dIn = ext[t];
      const step = tidy(() => {
        const dState = dIn ? [tf.add(carry[0]!, dIn) as tf.Tensor2D, ...carry.slice(1)] : carry;
        const keep = mask ? this.kernels.oneMinus(mask) : undefined;
        const dNew = mask ? dState.map((d) => tf.mul(mask, d) as tf.Tensor2D) : dState;
        const { dPrev, dPre } = cell.backward(w, caches[t]!, dNew);
        const next = keep ? dPrev.map((d, i) => tf.add(d, tf.mul(keep, dState[i]!)) as tf.Tensor2D) : dPrev;
        const dx = wantDx
          ? dPre.reduce<tf.Tensor2D | undefined>((acc, d, k) => {
              const p: tf.Tensor2D = tf.matMul(d, w.WxT[k]!);
              return acc ? (tf.add(acc, p) as tf.Tensor2D) : p;
            }, undefined)
          : undefined;
        return { next, dPre, dx };
      });
      tf.dispose(carry);
      if (dIn) dIn.dispose();
      carry = step.next;
      dxs[t] = step.dx;
      chunk.push({ t, dPre: step.dPre });
      if (chunk.length >= this.gradChunk || t === 0) flush();
    }

    // carry is now dLoss/dState_0.
    const initial = tidy(() => [...cell.initialGrads(w, carry)]);
    for (const [key, g] of initial) grads.set(`l${l}.${key}`, g);
    tf.dispose(carry);
    const I = l === 0 ? this.spec.inputSize : N;
    groups.forEach((group, k) => {
      const parts = tidy(() => {
        const gW = tf.transpose(gradWT[k]!); // (R, C): rows [x; 1; hSrc]
        const sizes = group.blocks.map((b) => (w.raw.get(b.key) as tf.Tensor2D).shape[1]);
        const blocks = group.blocks.length > 1 ? tf.split(gW, sizes, 1) : [gW];
        return blocks.map((g) => {
          const xRows = tf.slice(g, [0, 0], [I, -1]);
          const W = group.recurrent ? tf.concat([xRows, tf.slice(g, [I + 1, 0], [N, -1])], 0) : xRows;
          return { W, b: tf.reshape(tf.slice(g, [I, 0], [1, -1]), [-1]) };
        });
      });
      group.blocks.forEach((block, j) => {
        grads.set(`l${l}.${block.key}`, parts[j]!.W);
        if (block.bias) grads.set(`l${l}.${block.bias}`, parts[j]!.b);
        else parts[j]!.b.dispose();
      });
      gradWT[k]!.dispose();
    });
    // This layer's tape is spent (its xs belong to the layer below, which still needs them, unless l = 0).
    for (const s of states) tf.dispose(s.filter((v) => v) as tf.Tensor[]);
    for (const c of caches) tf.dispose(c);
    for (const o of operands) tf.dispose(o.filter((v) => v) as tf.Tensor[]);
    if (l === 0) tf.dispose(xs);
    tape.layers[l] = { xs: [], states: [], caches: [], operands: [] };
    return dxs;
  }

  gradients(): Float32Array {
    if (!this.grads) throw new Error('no gradients yet: call backward() first');
    return Float32Array.from(this.grads.dataSync() as Float32Array);
  }

  adamStep(options: AdamOptions): { gradNorm: number } {
    const grads = this.grads;
    if (!grads) throw new Error('adamStep() needs gradients: call backward() first');
    const normT = tf.tidy(() => tf.sqrt(tf.sum(tf.square(grads))));
    const gradNorm = normT.dataSync()[0]!;
    normT.dispose();
    const scale = options.clipNorm !== undefined && gradNorm > options.clipNorm ? options.clipNorm / gradNorm : 1;
    const step = ++this.adamSteps;
    const { lr, beta1, beta2, eps } = options;
    // PyTorch's Adam: p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
    const [params, m, v] = tf.tidy(() => {
      const g = scale === 1 ? grads : tf.mul(grads, scale);
      const m = tf.add(tf.mul(this.m, beta1), tf.mul(g, 1 - beta1)) as tf.Tensor1D;
      const v = tf.add(tf.mul(this.v, beta2), tf.mul(tf.square(g), 1 - beta2)) as tf.Tensor1D;
      const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - beta2 ** step)), eps);
      const params = tf.sub(this.params, tf.mul(tf.div(m, denom), lr / (1 - beta1 ** step))) as tf.Tensor1D;
      return [params, m, v];
    });
    tf.dispose([this.params, this.m, this.v]);
    this.params = params;
    this.m = m;
    this.v = v;
    this.invalidateWeights();
    return { gradNorm };
  }

  getParams(): Float32Array {
    return Float32Array.from(this.params.dataSync() as Float32Array);
  }

  setParams(params: Float32Array): void {
    if (params.length !== this.paramCount)
      throw new Error(`setParams: ${params.length} values; expected ${this.paramCount}`);
    this.params.dispose();
    this.params = tf.tensor1d(params);
    this.invalidateWeights();
    this.disposeTape(); // it was recorded with the old parameters
  }

  getOptimizerState(): OptimizerState {
    return {
      step: this.adamSteps,
      m: Float32Array.from(this.m.dataSync() as Float32Array),
      v: Float32Array.from(this.v.dataSync() as Float32Array),
    };
  }

  setOptimizerState(state: OptimizerState): void {
    if (state.m.length !== this.paramCount || state.v.length !== this.paramCount)
      throw new Error(
        `setOptimizerState: m and v need ${this.paramCount} values (got ${state.m.length}, ${state.v.length})`,
      );
    if (!(Number.isInteger(state.step) && state.step >= 0))
      throw new Error(`setOptimizerState: bad step ${state.step}`);
    tf.dispose([this.m, this.v]);
    this.m = tf.tensor1d(state.m);
    this.v = tf.tensor1d(state.v);
    this.adamSteps = state.step;
  }

  dispose(): void {
    this.disposeTape();
    this.invalidateWeights();
    tf.dispose([this.params, this.m, this.v]);
    tf.dispose(this.grads);
    this.grads = undefined;
    this.kernels.dispose();
  }

  /** The flat vector cut into the engine's working form, once per parameter version. */
  private prepareWeights() {
    if (this.weights) return this.weights;
    const spec = this.spec;
    const N = spec.units;
    const created: tf.Tensor[] = [];
    const keep = <R extends tf.Tensor>(t: R): R => {
      created.push(tf.keep(t));
      return t;
    };
    const weights = tidy(() => {
      const named = splitParams(spec, this.params);
      named.forEach(keep);
      const layers: LayerWeights[] = [];
      for (let l = 0; l < spec.layers; l++) {
        const I = l === 0 ? spec.inputSize : N;
        const raw = new Map<string, tf.Tensor>();
        for (const [name, t] of named) if (name.startsWith(`l${l}.`)) raw.set(name.slice(name.indexOf('.') + 1), t);
        const lw: LayerWeights = { parts: [], WxT: [], WhT: [], raw, ops: this.kernels };
        for (const group of this.cell.groups) {
          // Per block, rows [x; bias (zeros if none); hSrc]; blocks side by side: (R, C).
          const W = tf.concat(
            group.blocks.map((b) => {
              const Wb = raw.get(b.key) as tf.Tensor2D; // (I(+N), cols)
              const cols = Wb.shape[1];
              const bias = b.bias ? tf.reshape(raw.get(b.bias)!, [1, cols]) : tf.zeros([1, cols]);
              const rows = [tf.slice(Wb, [0, 0], [I, -1]), bias];
              if (group.recurrent) rows.push(tf.slice(Wb, [I, 0], [N, -1]));
              return tf.concat(rows, 0);
            }),
            1,
          ) as tf.Tensor2D;
          const C = W.shape[1];
          lw.parts.push(Array.from({ length: C / N }, (_, j) => keep(tf.slice(W, [0, j * N], [-1, N]))));
          lw.WxT.push(l > 0 ? keep(tf.transpose(tf.slice(W, [0, 0], [I, -1]))) : undefined);
          lw.WhT.push(group.recurrent ? keep(tf.transpose(tf.slice(W, [I + 1, 0], [N, -1]))) : undefined);
        }
        layers.push(lw);
      }
      const Wo = named.get('out.Wo') as tf.Tensor2D;
      const bo = named.get('out.bo') as tf.Tensor1D;
      const head =
        spec.readout === 'attention'
          ? ({ Wa: named.get('out.Wa'), Wc: named.get('out.Wc'), bc: named.get('out.bc'), Wo, bo } as AttentionWeights)
          : undefined;
      return { layers, Wo, WoT: keep(tf.transpose(Wo)), bo, head };
    });
    this.weightTensors = created;
    this.weights = weights;
    return weights;
  }

  private invalidateWeights(): void {
    tf.dispose(this.weightTensors);
    this.weightTensors = [];
    this.weights = undefined;
  }

  private disposeTape(): void {
    const tape = this.tape;
    if (!tape) return;
    this.tape = undefined;
    for (const layer of tape.layers) {
      for (const s of layer.states) tf.dispose(s.filter((v) => v) as tf.Tensor[]);
      for (const c of layer.caches) tf.dispose(c);
      for (const o of layer.operands) tf.dispose(o.filter((v) => v) as tf.Tensor[]);
    }
    tf.dispose(tape.layers[0]?.xs ?? []);
    tf.dispose(tape.masks ?? []);
    tape.top.dispose();
    if (tape.attention) tf.dispose(Object.values(tape.attention));
  }
}

/** tf.tidy for functions returning plain objects and arrays of tensors (tf's TensorContainer type is too narrow). */
function tidy<R>(fn: () => R): R {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as R;
}

/** T tensors (B, W) built from the time-major JS array (copies; never slices a (T, ...) tensor). */
function perStep(data: Float32Array, T: number, B: number, W: number): tf.Tensor2D[] {
  return Array.from({ length: T }, (_, t) => tf.tensor2d(data.subarray(t * B * W, (t + 1) * B * W), [B, W]));
}

function describe(spec: ModelSpec): string {
  return `${spec.cell} with ${spec.layers} layer(s) of ${spec.units} units, ${spec.inputSize} inputs, ${spec.outputSize} outputs`;
}

function validateSpec(spec: ModelSpec): void {
  if (!(spec.cell in FUSED_CELLS))
    throw new Error(`unknown cell ${String(spec.cell)}; expected one of ${Object.keys(FUSED_CELLS).join(', ')}`);
  if (![undefined, 'linear', 'attention'].includes(spec.readout))
    throw new Error(`unknown readout ${String(spec.readout)}; expected linear or attention`);
  for (const key of ['inputSize', 'units', 'layers', 'outputSize', 'outputSteps'] as const) {
    const v = spec[key];
    if (!(Number.isInteger(v) && v >= 1)) throw new Error(`model spec: ${key} must be a positive integer, got ${v}`);
  }
}

function validateBatch(spec: ModelSpec, batch: SequenceBatch): void {
  const { steps: T, batchSize: B } = batch;
  if (!(Number.isInteger(T) && T >= 1 && Number.isInteger(B) && B >= 1))
    throw new Error(`batch: bad steps ${T} or batchSize ${B}`);
  if (T < spec.outputSteps) throw new Error(`batch has ${T} steps but the readout needs the last ${spec.outputSteps}`);
  if (batch.x.length !== T * B * spec.inputSize)
    throw new Error(`batch.x has ${batch.x.length} values; expected T*B*F = ${T}*${B}*${spec.inputSize}`);
  if (batch.mask && batch.mask.length !== T * B)
    throw new Error(`batch.mask has ${batch.mask.length} values; expected T*B = ${T * B}`);
}
