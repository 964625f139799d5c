/**
 * The native engine: the C++ addon (./cpp, built into build/Release/rwa_native.node by
 * `npm install` through scripts/build-native.mjs) behind the Engine interface of ../engine.ts.
 *
 *   const loaded = loadNativeEngine({ threads: 2 });
 *   if ('error' in loaded) console.warn(loaded.error); // fall back to the tfjs engine
 *
 * This file stays thin: one addon call per forward, backward and Adam step. Parameters cross the
 * boundary in the flat layout of ../../models/params.ts; the addon validates every argument again.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { paramLayout } from '../../models/params.js';
import {
  CELL_KINDS,
  type AdamOptions,
  type Engine,
  type ForwardOptions,
  type ForwardResult,
  type ModelSpec,
  type OptimizerState,
  type SequenceBatch,
  type TrainableModel,
} from '../engine.js';

/** An opaque model handle owned by the addon. */
export type NativeHandle = { readonly __nativeModel: unique symbol };

/** The addon's exports (see cpp/addon.cc for the contract of each). */
export interface NativeAddon {
  info(): {
    isa: 'avx512' | 'avx2-fma' | 'portable';
    hardwareThreads: number;
    cpuHasAvx2Fma: boolean;
    cpuHasAvx512: boolean;
    /** Cell kinds and readouts this build implements (absent in builds older than the check). */
    cells?: string[];
    readouts?: string[];
  };
  setIsa(isa: 'auto' | 'portable' | 'avx2-fma' | 'avx512'): string;
  mathApply(
    fn: 'exp' | 'tanh' | 'sigmoid',
    impl: 'auto' | 'portable' | 'avx2-fma' | 'avx512',
    src: Float32Array,
    dst: Float32Array,
  ): void;
  sgemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Float32Array,
    lda: number,
    B: Float32Array,
    ldb: number,
    beta: number,
    C: Float32Array,
    ldc: number,
    threads: number,
  ): void;
  createModel(
    cell: string,
    F: number,
    N: number,
    L: number,
    O: number,
    K: number,
    threads: number,
    readout?: 'linear' | 'attention',
  ): NativeHandle;
  paramCount(model: NativeHandle): number;
  setParams(model: NativeHandle, params: Float32Array): void;
  getParams(model: NativeHandle): Float32Array;
  forward(
    model: NativeHandle,
    x: Float32Array,
    mask: Float32Array | null,
    steps: number,
    batchSize: number,
    training: boolean,
    captureHidden: Int32Array | null,
  ): [Float32Array, Float32Array | null];
  backward(model: NativeHandle, dOutputs: Float32Array): void;
  gradients(model: NativeHandle): Float32Array;
  adam(model: NativeHandle, lr: number, beta1: number, beta2: number, eps: number, clipNorm?: number): number;
  getOptimizer(model: NativeHandle): [number, Float32Array, Float32Array];
  setOptimizer(model: NativeHandle, step: number, m: Float32Array, v: Float32Array): void;
  dispose(model: NativeHandle): void;
}

const ADDON_FILE = join('build', 'Release', 'rwa_native.node');
const FIX = 'Build it with `npm run build:native` (needs a C++17 compiler, make and python3), or use the tfjs engine.';

/** Finds build/Release/rwa_native.node in the nearest ancestor of this file (src/ or dist/src/). */
function findAddon(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, ADDON_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

let cached: { addon: NativeAddon } | { error: string } | undefined;

const REBUILD =
  'Run `npm run build:native`, then restart any server or `rwa-lab worker` that was running before the rebuild.';

/** Why a loaded addon cannot run every model this code offers, or null when it can. */
export function staleness(addon: Pick<NativeAddon, 'info'>): string | null {
  const info = addon.info();
  if (!Array.isArray(info.cells) || !Array.isArray(info.readouts)) return 'it does not report its cells';
  const cells = CELL_KINDS.filter((c) => !info.cells!.includes(c));
  if (cells.length) return `it lacks the cell${cells.length > 1 ? 's' : ''} ${cells.join(', ')}`;
  if (!info.readouts.includes('attention')) return 'it lacks the attention readout';
  return null;
}

/** Loads the addon once per process. */
export function loadNativeAddon(): { addon: NativeAddon } | { error: string } {
  if (cached) return cached;
  const path = findAddon();
  if (!path) {
    cached = { error: `native engine unavailable: ${ADDON_FILE} was not found (the addon is not built). ${FIX}` };
    return cached;
  }
  try {
    const require = createRequire(import.meta.url);
    const addon = require(path) as NativeAddon;
    const stale = staleness(addon);
    cached = stale
      ? { error: `native engine unavailable: ${path} was built from older sources (${stale}). ${REBUILD}` }
      : { addon };
  } catch (err) {
    cached = { error: `native engine unavailable: loading ${path} failed: ${(err as Error).message}. ${FIX}` };
  }
  return cached;
}

export interface NativeEngineOptions {
  /** Worker threads per model (default: all available cores). */
  threads?: number;
}

export function loadNativeEngine(options: NativeEngineOptions = {}): { engine: Engine } | { error: string } {
  const loaded = loadNativeAddon();
  if ('error' in loaded) return loaded;
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > 256)
    return { error: `native engine: threads must be an integer in 1..256, got ${threads}` };
  return { engine: new NativeEngine(loaded.addon, threads) };
}

class NativeEngine implements Engine {
  readonly name = 'native' as const;
  readonly backend: string;

  constructor(
    private readonly addon: NativeAddon,
    readonly threads: number,
  ) {
    this.backend = `native ${addon.info().isa}, ${threads} thread${threads === 1 ? '' : 's'}`;
  }

  createModel(spec: ModelSpec, params: Float32Array): TrainableModel {
    if (!CELL_KINDS.includes(spec.cell)) throw new RangeError(`spec.cell must be one of ${CELL_KINDS.join(', ')}`);
    const total = paramLayout(spec).total;
    if (!(params instanceof Float32Array)) throw new TypeError('params must be a Float32Array');
    if (params.length !== total)
      throw new RangeError(`params must have length ${total} for this spec, got ${params.length}`);
    const a = this.addon;
    const handle = a.createModel(
      spec.cell,
      spec.inputSize,
      spec.units,
      spec.layers,
      spec.outputSize,
      spec.outputSteps,
      this.threads,
      spec.readout ?? 'linear',
    );
    if (a.paramCount(handle) !== total) {
      a.dispose(handle);
      throw new Error(`native engine: addon parameter count ${a.paramCount(handle)} != layout ${total} (stale build?)`);
    }
    a.setParams(handle, params);
    return new NativeModel(a, handle, { ...spec }, total);
  }
}

class NativeModel implements TrainableModel {
  constructor(
    private readonly addon: NativeAddon,
    private readonly handle: NativeHandle,
    readonly spec: ModelSpec,
    readonly paramCount: number,
  ) {}

  forward(batch: SequenceBatch, options: ForwardOptions = {}): ForwardResult {
    const capture = options.captureHidden;
    const [outputs, hidden] = this.addon.forward(
      this.handle,
      batch.x,
      batch.mask ?? null,
      batch.steps,
      batch.batchSize,
      options.training ?? true,
      capture && capture.length > 0 ? Int32Array.from(capture) : null,
    );
    const result: ForwardResult = { outputs };
    if (capture) {
      const size = batch.steps * this.spec.units; // (T, N) per captured sequence
      result.hidden = capture.map((_, i) => hidden!.subarray(i * size, (i + 1) * size));
    }
    return result;
  }

  backward(dOutputs: Float32Array): void {
    this.addon.backward(this.handle, dOutputs);
  }

  gradients(): Float32Array {
    return this.addon.gradients(this.handle);
  }

  adamStep(options: AdamOptions): { gradNorm: number } {
    const { lr, beta1, beta2, eps, clipNorm } = options;
    return { gradNorm: this.addon.adam(this.handle, lr, beta1, beta2, eps, clipNorm) };
  }

  getParams(): Float32Array {
    return this.addon.getParams(this.handle);
  }

  setParams(params: Float32Array): void {
    this.addon.setParams(this.handle, params);
  }

  getOptimizerState(): OptimizerState {
    const [step, m, v] = this.addon.getOptimizer(this.handle);
    return { step, m, v };
  }

  setOptimizerState(state: OptimizerState): void {
    this.addon.setOptimizer(this.handle, state.step, state.m, state.v);
  }

  dispose(): void {
    this.addon.dispose(this.handle);
  }
}
