/**
 * The engine interface: the one boundary between the training loop and the maths that runs it.
 *
 * Terminology
 * - engine: a way to execute models (`native`: the C++ addon with fused kernels; `tfjs`: TensorFlow.js
 *   on its `tensorflow`, `wasm` or `cpu` back end). The loop, CLI, API and queue never care which.
 * - model spec: cell kind, sizes and readout; enough, with the flat parameter vector, to rebuild a model.
 * - parameters: ONE flat Float32Array whose layout is defined in ../models/params.ts and shared by all
 *   engines, so weights, checkpoints and gradients are interchangeable between engines. Engines may
 *   repack internally (e.g. concatenate W_g and W_a) but read and write this layout at the boundary.
 * - batch: time-major inputs x (T, B, F) and an optional mask (T, B). mask[t, b] = 1 while step t is
 *   inside sequence b, 0 after its end (masks are prefixes of ones). Where the mask is 0 the whole
 *   recurrent state (h, and n, d, m for RWA and RDA, c for LSTM) is frozen: state_t = state_{t-1}.
 * - readout: y = W_o h_t + b_o applied to the TOP layer's h_t at the last K = spec.outputSteps time
 *   steps (t = T-K .. T-1); outputs are (K, B, O). K = 1 for most tasks, 10 for copy. With masks the
 *   frozen state makes h_{T-1} equal to h at the sequence's last real step. With spec.readout = 'attention'
 *   each of those K steps first attends over the top layer's h_0..h_t (../models/attention.ts).
 * - loss: computed in TypeScript (../loss.ts) from the outputs, the same for every engine; the engine
 *   receives dLoss/dOutputs (K, B, O) and back-propagates it through time.
 */

export type CellKind = 'rwa' | 'lstm' | 'gru' | 'rda';
export const CELL_KINDS: readonly CellKind[] = ['rwa', 'lstm', 'gru', 'rda'];

/** How the top layer's states become outputs: y = W_o h_t, or Luong attention over h_1..h_t (../models/attention.ts). */
export type Readout = 'linear' | 'attention';

/** What a run trains (RunConfig.model): a cell with the linear readout, or a cell plus an attention readout. */
export type ModelKind = CellKind | 'lstm-attention';
export const MODEL_KINDS: readonly ModelKind[] = [...CELL_KINDS, 'lstm-attention'];

/** The cell and readout a model kind stands for. */
export function modelParts(kind: ModelKind): { cell: CellKind; readout: Readout } {
  return kind === 'lstm-attention' ? { cell: 'lstm', readout: 'attention' } : { cell: kind, readout: 'linear' };
}

export type EngineName = 'native' | 'tfjs';

export interface ModelSpec {
  cell: CellKind;
  /** F: input features per step. */
  inputSize: number;
  /** N: units per layer. */
  units: number;
  /** L: stacked layers (layer l > 0 reads layer l-1's h_t). */
  layers: number;
  /** O: readout outputs per step. */
  outputSize: number;
  /** K: the readout is applied at the last K time steps. */
  outputSteps: number;
  /** Default 'linear'. */
  readout?: Readout;
}

export interface SequenceBatch {
  /** T: time steps. */
  steps: number;
  /** B: sequences in the batch. */
  batchSize: number;
  /** (T, B, F) time-major. */
  x: Float32Array;
  /** (T, B); undefined means every step of every sequence is real. */
  mask?: Float32Array;
}

export interface ForwardOptions {
  /** Batch indices whose top-layer hidden states h_1..h_T, (T, N) each, are returned (for snapshots). */
  captureHidden?: readonly number[];
  /** false skips storing what backward needs (evaluation). Default true. */
  training?: boolean;
}

export interface ForwardResult {
  /** (K, B, O). */
  outputs: Float32Array;
  /** One (T, N) array per captureHidden index, in the same order. */
  hidden?: Float32Array[];
}

export interface AdamOptions {
  /** Learning rate; the paper uses 0.001. */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** If set, gradients are scaled so their global L2 norm is at most clipNorm before the update. */
  clipNorm?: number;
}

export const DEFAULT_ADAM: AdamOptions = { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

export interface OptimizerState {
  /** Adam updates applied so far (bias correction uses step + 1 for the next update). */
  step: number;
  /** First and second moment estimates, same layout as the parameters. */
  m: Float32Array;
  v: Float32Array;
}

/** A model living on an engine: owns its parameters, gradients and Adam state. */
export interface TrainableModel {
  readonly spec: ModelSpec;
  readonly paramCount: number;
  forward(batch: SequenceBatch, options?: ForwardOptions): ForwardResult;
  /** Back-propagates dLoss/dOutputs (K, B, O) through the most recent training forward; overwrites the gradients. */
  backward(dOutputs: Float32Array): void;
  /** Copy of the gradients from the last backward, flat, parameter layout. */
  gradients(): Float32Array;
  /** Global-norm clipping (if configured) then one Adam update. Returns the gradient norm before clipping. */
  adamStep(options: AdamOptions): { gradNorm: number };
  getParams(): Float32Array;
  setParams(params: Float32Array): void;
  getOptimizerState(): OptimizerState;
  setOptimizerState(state: OptimizerState): void;
  dispose(): void;
}

export interface Engine {
  readonly name: EngineName;
  /** What actually runs, e.g. `avx2-fma, 2 threads` or `wasm`; stored with every run. */
  readonly backend: string;
  createModel(spec: ModelSpec, params: Float32Array): TrainableModel;
  dispose?(): void;
}
